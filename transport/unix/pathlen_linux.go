package unix

// maxPath is sun_path's size on Linux less its terminating NUL.
const maxPath = 107
