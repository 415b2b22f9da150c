package postbox

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/postbox-ipc/postbox/internal/stats"
	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/watch"
)

// TestTypesMirrorInternal checks that every public type declared again
// here has exactly the fields of its internal twin, in the same order, at
// the same offsets, of the same shapes: the conversions in convert.go and
// stats.go rely on it, and a field added on one side only fails here.
func TestTypesMirrorInternal(t *testing.T) {
	pairs := []struct{ pub, in any }{
		{Message{}, transport.Message{}},
		{Reply{}, transport.Reply{}},
		{Peer{}, transport.Peer{}},
		{RemoteError{}, transport.RemoteError{}},
		{LostError{}, transport.LostError{}},
		{Stats{}, stats.Endpoint{}},
		{ConnStats{}, stats.Conn{}},
		{Counts{}, stats.Counts{}},
		{Histogram{}, stats.Histogram{}},
		{SpyRecord{}, watch.Record{}},
		{SpyFilter{}, watch.Filter{}},
	}
	for _, p := range pairs {
		sameShape(t, reflect.TypeOf(p.pub), reflect.TypeOf(p.in), reflect.TypeOf(p.pub).Name())
	}
}

func sameShape(t *testing.T, pub, in reflect.Type, path string) {
	t.Helper()
	if pub.Kind() != in.Kind() || pub.Size() != in.Size() {
		t.Errorf("%s: %v (%d bytes) vs internal %v (%d bytes)", path, pub, pub.Size(), in, in.Size())
		return
	}
	switch pub.Kind() {
	case reflect.Struct:
		if pub.NumField() != in.NumField() {
			t.Errorf("%s: %d fields, internal %v has %d", path, pub.NumField(), in, in.NumField())
			return
		}
		for i := range pub.NumField() {
			pf, inf := pub.Field(i), in.Field(i)
			if !sameName(pf, inf) || pf.Offset != inf.Offset || pf.Anonymous != inf.Anonymous {
				t.Errorf("%s: field %d is %s at %d, internal %s at %d", path, i, pf.Name, pf.Offset, inf.Name, inf.Offset)
				continue
			}
			sameShape(t, pf.Type, inf.Type, path+"."+pf.Name)
		}
	case reflect.Slice, reflect.Pointer, reflect.Array:
		sameShape(t, pub.Elem(), in.Elem(), path+"[]")
	case reflect.Map:
		sameShape(t, pub.Key(), in.Key(), path+"[key]")
		sameShape(t, pub.Elem(), in.Elem(), path+"[]")
	case reflect.Interface:
		if pub != in {
			t.Errorf("%s: %v vs internal %v", path, pub, in)
		}
	}
}

// TestConstantsMatchInternal checks the numbers declared here against the
// engine's.
func TestConstantsMatchInternal(t *testing.T) {
	for _, c := range []struct {
		name    string
		pub, in uint64
	}{
		{"CopyData", uint64(CopyData), uint64(transport.CopyData)},
		{"User", uint64(User), uint64(transport.User)},
		{"App", uint64(App), uint64(transport.App)},
		{"FirstReserved", uint64(FirstReserved), uint64(transport.FirstReserved)},
		{"SpyHeadSize", SpyHeadSize, watch.HeadSize},
		{"CodeHandler", uint64(CodeHandler), uint64(transport.CodeHandler)},
		{"CodePanic", uint64(CodePanic), uint64(transport.CodePanic)},
		{"CodeTimeout", uint64(CodeTimeout), uint64(transport.CodeTimeout)},
		{"CodeCanceled", uint64(CodeCanceled), uint64(transport.CodeCanceled)},
		{"CodeTooLarge", uint64(CodeTooLarge), uint64(transport.CodeTooLarge)},
		{"CodeDenied", uint64(CodeDenied), uint64(transport.CodeDenied)},
		{"CodeClosed", uint64(CodeClosed), uint64(transport.CodeClosed)},
		{"CodeNoEndpoint", uint64(CodeNoEndpoint), uint64(transport.CodeNoEndpoint)},
		{"CodeQueueFull", uint64(CodeQueueFull), uint64(transport.CodeQueueFull)},
		{"CodeProtocol", uint64(CodeProtocol), uint64(transport.CodeProtocol)},
	} {
		if c.pub != c.in {
			t.Errorf("%s = %#x, the engine's is %#x", c.name, c.pub, c.in)
		}
	}
}

// sameName reports whether a public field mirrors an internal one: the same
// name, or the internal name unexported here (Reply.buf for Reply.Buf: the
// engine's own field, hidden behind a method).
func sameName(pub, in reflect.StructField) bool {
	return pub.Name == in.Name || !pub.IsExported() && strings.EqualFold(pub.Name, in.Name)
}

// TestHandlerCallAllocatesNothing: the engine's call into a Handler that
// answers without an error allocates nothing of its own (wireErr once
// allocated its *RemoteError target on every message).
func TestHandlerCallAllocatesNothing(t *testing.T) {
	f := handlerFunc(HandlerFunc(func(_ context.Context, m *Message) (Reply, error) {
		return Reply{Result: m.W}, nil
	}))
	m := &transport.Message{W: 7}
	ctx := context.Background()
	if n := testing.AllocsPerRun(1000, func() {
		if rep, err := f(ctx, m); err != nil || rep.Result != 7 {
			t.Fatalf("reply %+v, %v", rep, err)
		}
	}); n != 0 {
		t.Errorf("%v allocations per call, want 0", n)
	}
}
