package transport

// FirstReserved is the first of the message IDs Postbox keeps for itself
// (0xFFFFFF00 to 0xFFFFFFFF): an endpoint answers them itself — statistics,
// metrics, the spy feed — and they never reach its handler. Windows has no
// messages above 0xFFFF, so no Windows message number is taken.
const FirstReserved uint32 = 0xFFFFFF00

// Reserved reports whether id is one of Postbox's own message IDs.
func Reserved(id uint32) bool { return id >= FirstReserved }

// ErrDraining is the answer to a message that reaches an endpoint after its
// Shutdown began: it was not accepted and will not be handled. It is a
// *RemoteError that matches ErrClosed.
var ErrDraining error = &RemoteError{Code: CodeClosed, Message: "endpoint shutting down: message not accepted"}
