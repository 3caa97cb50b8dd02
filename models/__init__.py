"""Records and domain logic shared by every stage. Imports nothing from the other packages."""
