package cli

import (
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"github.com/postbox-ipc/postbox"
)

func init() {
	register("spy", "watch the messages an endpoint handles, live (Spy++)", runSpy)
}

func runSpy(e *env, args []string) error {
	fs := newFlags("spy", "NAME", e.stdout)
	ids := &numbers{bits: 32}
	pids := &numbers{bits: 32}
	uids := &numbers{bits: 32}
	fs.Var(ids, "id", "only these message IDs (repeat or comma-separate; decimal or 0x hex)")
	fs.Var(pids, "pid", "only messages from these process IDs")
	fs.Var(uids, "uid", "only messages from these user IDs")
	onlyErrors := fs.Bool("errors", false, "only messages whose handler failed")
	asJSON := jsonFlag(e, fs, "print one JSON object per message")
	count := fs.Int("count", 0, "stop after this many messages (0: until interrupted)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *count < 0 {
		return usagef("want exactly one NAME")
	}
	c, err := dialAny(e.ctx, &postbox.Dialer{}, pos[0])
	if err != nil {
		return err
	}
	defer c.Close()
	f := postbox.SpyFilter{Errors: *onlyErrors}
	for _, v := range ids.vals {
		f.IDs = append(f.IDs, uint32(v))
	}
	for _, v := range pids.vals {
		f.PIDs = append(f.PIDs, int(v))
	}
	for _, v := range uids.vals {
		f.UIDs = append(f.UIDs, int(v))
	}
	fmt.Fprintf(e.stderr, "spying on %s (pid %d); Ctrl-C to stop\n", pos[0], c.Peer().PID)
	return spyLoop(e, c.Spy(f), *asJSON, *count)
}

// spyLoop prints records until ctx ends, the endpoint goes, or count is
// reached.
func spyLoop(e *env, spy *postbox.Spy, asJSON bool, count int) error {
	shown := 0
	for {
		recs, dropped, err := spy.Next(e.ctx)
		switch {
		case e.ctx.Err() != nil:
			return nil
		case errors.Is(err, postbox.ErrPeerGone), errors.Is(err, postbox.ErrClosed):
			fmt.Fprintln(e.stderr, "the endpoint closed")
			return nil
		case err != nil:
			return err
		}
		if dropped > 0 {
			fmt.Fprintf(e.stdout, "-- %d message(s) not shown: the spy fell behind\n", dropped)
		}
		for i := range recs {
			printRecord(e.stdout, &recs[i], asJSON)
			if shown++; count > 0 && shown >= count {
				return nil
			}
		}
	}
}

// printRecord writes one handled message on one line.
func printRecord(w io.Writer, r *postbox.SpyRecord, asJSON bool) {
	kind := "post"
	if r.Send {
		kind = "send"
	}
	if asJSON {
		obj := map[string]any{"time": r.Time.Format(time.RFC3339Nano), "kind": kind, "id": r.ID, "w": r.W, "l": r.L,
			"pid": r.PID, "uid": r.UID, "transport": r.Transport, "size": r.Size, "took_us": r.Took.Microseconds(),
			"result": r.Result, "reply_size": r.ReplySize}
		if r.Err != "" {
			obj["error"] = r.Err
		}
		jsonData(obj, r.Head)
		_ = writeJSON(w, obj)
		return
	}
	outcome := "ok"
	if r.Err != "" {
		outcome = "FAILED " + r.Err
	}
	fmt.Fprintf(w, "%s %s id=%#x w=%d l=%d pid=%d uid=%d %s size=%d %s -> %s result=%d reply=%dB took=%s\n",
		r.Time.Format("15:04:05.000000"), kind, r.ID, r.W, r.L, r.PID, r.UID, r.Transport, r.Size,
		head(r.Head, r.Size), outcome, r.Result, r.ReplySize, fmtDuration(r.Took))
}

// head renders a payload's first bytes: text quoted, binary as hex, with
// an ellipsis when the payload is longer.
func head(b []byte, size int) string {
	more := ""
	if size > len(b) {
		more = "…"
	}
	if utf8.Valid(b) {
		return fmt.Sprintf("%q%s", b, more)
	}
	return fmt.Sprintf("0x%x%s", b, more)
}

// fmtDuration prints a duration with three significant figures.
func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return d.String()
	case d < time.Millisecond:
		return fmt.Sprintf("%.3gµs", float64(d)/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.3gms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.3gs", d.Seconds())
}
