from patentdesk.launcher import main

main()
