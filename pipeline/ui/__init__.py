"""The review desk: `tollgate ui`, a small web app over the store and the state folder."""
