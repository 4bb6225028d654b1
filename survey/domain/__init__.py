"""Business rules of the application: accounts, publishing, sync, exports, the demo."""
