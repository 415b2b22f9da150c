package cli

import (
	"fmt"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/postbox-ipc/postbox"
)

func init() {
	register("ls", "list live endpoints (EnumWindows)", runLs)
	register("broadcast", "send a message to every endpoint (HWND_BROADCAST)", runBroadcast)
}

func runLs(e *env, args []string) error {
	fs := newFlags("ls", "", e.stdout)
	asJSON := jsonFlag(e, fs, "print a JSON array")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("ls takes no arguments")
	}
	eps, err := postbox.List(e.ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		if eps == nil {
			eps = []postbox.EndpointInfo{}
		}
		return writeJSON(e.stdout, eps)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPID\tPROGRAM\tUSER\tTRANSPORTS\tAGE")
	for _, ep := range eps {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", ep.Name, ep.PID, filepath.Base(ep.Program),
			userOf(ep), strings.Join(ep.Transports, " "), time.Since(ep.Started).Round(time.Second))
	}
	return tw.Flush()
}

// userOf names the endpoint's owner: by SID on Windows, by uid elsewhere.
func userOf(ep postbox.EndpointInfo) string {
	if ep.SID != "" {
		return accountName(ep.SID)
	}
	return userName(ep.UID)
}

func userName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return u.Username
	}
	return strconv.Itoa(uid)
}

func runBroadcast(e *env, args []string) error {
	fs := newFlags("broadcast", "[DATA|@FILE|-] [--nats URL]", e.stdout)
	m := addMsgFlags(fs, postbox.CopyData)
	timeout := fs.Duration("timeout", time.Second, "how long to wait for each endpoint (0: the default, 1s)")
	asJSON := jsonFlag(e, fs, "print one JSON object per endpoint")
	natsURL := fs.String("nats", "", "every endpoint behind this NATS server (nats://HOST:PORT) instead of this machine's")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("want at most one DATA")
	}
	if *timeout < 0 {
		return usagef("want a --timeout of 0 or more")
	}
	var data []byte
	if len(pos) == 1 {
		if data, err = readData(e, pos[0]); err != nil {
			return err
		}
	}
	results, err := broadcast(e, *natsURL, m.message(data), *timeout)
	if err != nil {
		return err
	}
	var failed error
	for _, r := range results {
		printResult(e, r, *asJSON)
		if r.Err != nil && failed == nil {
			failed = r.Err
		}
	}
	if failed != nil {
		// The recipients' lines said what failed; the status is the
		// first failure's.
		return exitStatus{exitCode(failed)}
	}
	return nil
}

// broadcast sends m to this machine's endpoints, or to those behind a NATS
// server.
func broadcast(e *env, natsURL string, m postbox.Message, timeout time.Duration) ([]postbox.Result, error) {
	if natsURL == "" {
		b := postbox.Broadcaster{Timeout: timeout}
		return b.Broadcast(e.ctx, m)
	}
	b, ok := broadcasters["nats"]
	if !ok {
		return nil, usagef("--nats: this postbox was built without the NATS transport")
	}
	return b(e.ctx, natsURL, m, timeout)
}

func printResult(e *env, r postbox.Result, asJSON bool) {
	if asJSON {
		obj := map[string]any{"name": r.Endpoint.Name, "pid": r.Endpoint.PID, "result": r.Reply.Result}
		if r.Err != nil {
			code := exitCode(r.Err)
			obj["error"], obj["code"], obj["exit"] = describe(r.Err), codeNames[code], code
		} else {
			jsonData(obj, r.Reply.Data)
		}
		_ = writeJSON(e.stdout, obj)
		return
	}
	if r.Err != nil {
		fmt.Fprintf(e.stdout, "%s (pid %d): error: %s\n", r.Endpoint.Name, r.Endpoint.PID, describe(r.Err))
		return
	}
	fmt.Fprintf(e.stdout, "%s (pid %d): result=%d data=%s\n", r.Endpoint.Name, r.Endpoint.PID, r.Reply.Result, printable(r.Reply.Data, 256))
}
