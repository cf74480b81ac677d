# Models arrive with this app's issue; the app is registered so its migrations, admin and
# permissions have a home from the first release.
