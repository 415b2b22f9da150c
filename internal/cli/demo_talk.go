package cli

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/postbox-ipc/postbox"
)

// talk is the seed's sender: find the viewer by its process (FindWindow /
// Process.MainWindowHandle), SendMessage(WM_COPYDATA) the patient context,
// PostMessage(WM_USER+1) with data, and time round trips.
func talk(ctx context.Context, e *env, pid, rounds int) error {
	say := func(format string, a ...any) { fmt.Fprintf(e.stdout, "[sender] "+format+"\n", a...) }
	found, err := postbox.FindPID(ctx, pid)
	if err != nil || len(found) == 0 {
		return fmt.Errorf("no endpoint of pid %d found: %v", pid, err)
	}
	addr := found[0].Addr()
	say("found %q of pid %d at %s", found[0].Name, pid, addr)
	c, err := postbox.Dial(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()

	start := time.Now()
	rep, err := c.Send(ctx, postbox.Message{ID: postbox.CopyData, Data: []byte(patientJSON)})
	if err != nil {
		return err
	}
	say("SendMessage(WM_COPYDATA, %s) -> result %d, %q in %v", patientJSON, rep.Result, rep.Data, time.Since(start).Round(time.Microsecond))

	start = time.Now()
	if err := c.Post(ctx, postbox.Message{ID: demoNotify, W: 7, L: 42, Data: []byte(patientJSON)}); err != nil {
		return err
	}
	if err := c.Flush(ctx); err != nil {
		return err
	}
	say("PostMessage(WM_USER+1, 7, 42) with the JSON as data: accepted in %v", time.Since(start).Round(time.Microsecond))

	rtts := make([]time.Duration, rounds)
	msg := postbox.Message{ID: demoTiming, Data: []byte(patientJSON)}
	for i := range rtts {
		t := time.Now()
		if _, err := c.Send(ctx, msg); err != nil {
			return err
		}
		rtts[i] = time.Since(t)
	}
	slices.Sort(rtts)
	say("%d round trips of the %d-byte JSON: p50 %v, p90 %v, p99 %v", rounds, len(patientJSON),
		pct(rtts, 50), pct(rtts, 90), pct(rtts, 99))
	return nil
}

func pct(sorted []time.Duration, p int) time.Duration {
	return sorted[(len(sorted)-1)*p/100].Round(100 * time.Nanosecond)
}
