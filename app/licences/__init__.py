"""Electronic licences (电子证照): registration, usage applications, objections, events."""
