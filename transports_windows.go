package postbox

// Windows transports: named pipes (the default) and real Windows messages.
import (
	_ "github.com/postbox-ipc/postbox/transport/pipe"
	"github.com/postbox-ipc/postbox/transport/winmsg"
)

// companions are the transports every endpoint on this OS also listens on
// under its name, besides its own and inproc: on Windows, its window.
var companions = []string{winmsg.Scheme}
