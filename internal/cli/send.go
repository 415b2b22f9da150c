package cli

import (
	"context"
	"errors"
	"flag"
	"time"

	"github.com/postbox-ipc/postbox"
)

func init() {
	register("send", "send a message and print the reply (SendMessage)", runSend)
	register("post", "post messages without waiting for the handler (PostMessage)", runPost)
}

func runSend(e *env, args []string) error {
	fs := newFlags("send", "ADDR [DATA|@FILE|-]", e.stdout)
	m := addMsgFlags(fs, postbox.CopyData)
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this long (0: never)")
	asJSON := jsonFlag(e, fs, "print the reply as a JSON object")
	tcpf := addDialTCPFlags(fs)
	addr, data, d, err := addrAndData(e, fs, tcpf, args)
	if err != nil {
		return err
	}
	ctx, cancel, err := withTimeout(e.ctx, *timeout)
	if err != nil {
		return err
	}
	defer cancel()
	start := time.Now()
	rep, err := sendOnce(ctx, d, addr, m.message(data))
	if err != nil {
		return err
	}
	if *asJSON {
		obj := map[string]any{"result": rep.Result, "rtt_us": time.Since(start).Microseconds()}
		jsonData(obj, rep.Data)
		return writeJSON(e.stdout, obj)
	}
	if len(rep.Data) > 0 {
		e.stdout.Write(rep.Data)
		if rep.Data[len(rep.Data)-1] != '\n' {
			e.stdout.Write([]byte{'\n'})
		}
	}
	return nil
}

func runPost(e *env, args []string) error {
	fs := newFlags("post", "ADDR [DATA|@FILE|-]", e.stdout)
	m := addMsgFlags(fs, postbox.CopyData)
	count := fs.Int("count", 1, "post the message this many times")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this long (0: never)")
	asJSON := jsonFlag(e, fs, "print how many were posted as a JSON object")
	tcpf := addDialTCPFlags(fs)
	addr, data, d, err := addrAndData(e, fs, tcpf, args)
	if err != nil {
		return err
	}
	if *count < 1 {
		return usagef("want --count of 1 or more")
	}
	ctx, cancel, err := withTimeout(e.ctx, *timeout)
	if err != nil {
		return err
	}
	defer cancel()
	c, err := dialAny(ctx, d, addr)
	if err != nil {
		return err
	}
	msg := m.message(data)
	for i := 0; i < *count; i++ {
		if err := c.Post(ctx, msg); err != nil {
			return errors.Join(err, c.Close())
		}
	}
	// Exit only once the receiver has accepted every message.
	if err := c.Flush(ctx); err != nil {
		return errors.Join(err, c.Close())
	}
	if err := c.Close(); err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, map[string]any{"posted": *count})
	}
	return nil
}

// withTimeout is ctx bounded by d, or not at all when d is 0.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc, error) {
	switch {
	case d < 0:
		return nil, nil, usagef("want a --timeout of 0 (none) or more")
	case d == 0:
		ctx, cancel := context.WithCancel(ctx)
		return ctx, cancel, nil
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	return ctx, cancel, nil
}

// sendOnce dials addr with d, sends m and closes: postbox.Send with a
// configured Dialer.
func sendOnce(ctx context.Context, d *postbox.Dialer, addr string, m postbox.Message) (postbox.Reply, error) {
	c, err := dialAny(ctx, d, addr)
	if err != nil {
		return postbox.Reply{}, err
	}
	defer c.Close()
	return c.Send(ctx, m)
}

// addrAndData parses a sending command's line: ADDR, an optional DATA, and
// the dial flags.
func addrAndData(e *env, fs *flag.FlagSet, tcpf *tcpFlags, args []string) (string, []byte, *postbox.Dialer, error) {
	pos, err := parse(fs, args)
	if err != nil {
		return "", nil, nil, err
	}
	if len(pos) < 1 || len(pos) > 2 {
		return "", nil, nil, usagef("want ADDR and at most one DATA")
	}
	var data []byte
	if len(pos) == 2 {
		if data, err = readData(e, pos[1]); err != nil {
			return "", nil, nil, err
		}
	}
	d, err := tcpf.dialer()
	return pos[0], data, d, err
}
