"""Client releases: the TUF release repository (server), the updater and doctor (client)."""
