from patentdesk.cli.main import main

main()
