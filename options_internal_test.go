package postbox

import (
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"reflect"
	"testing"
)

// TestEveryFieldHasItsOption checks the naming rule of options.go: every
// ListenConfig field has a ListenOption called With and the field's name,
// every Dialer field a DialOption called WithDial and the field's name, and
// there are no others.
func TestEveryFieldHasItsOption(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "options.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{} // option name -> result type
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Type.Results != nil {
			if id, ok := fn.Type.Results.List[0].Type.(*ast.Ident); ok {
				got[fn.Name.Name] = id.Name
			}
		}
	}
	want := map[string]string{}
	for _, c := range []struct {
		cfg            any
		prefix, option string
	}{{ListenConfig{}, "With", "ListenOption"}, {Dialer{}, "WithDial", "DialOption"}} {
		typ := reflect.TypeOf(c.cfg)
		for i := range typ.NumField() {
			want[c.prefix+typ.Field(i).Name] = c.option
		}
	}
	for name, typ := range want {
		if got[name] != typ {
			t.Errorf("no %s %s in options.go", typ, name)
		}
	}
	for name, typ := range got {
		if want[name] == "" {
			t.Errorf("%s %s names no field", typ, name)
		}
	}
}

// TestOptionsSetTheirFields applies each option to a zero config and checks
// that it changed the field of its name.
func TestOptionsSetTheirFields(t *testing.T) {
	listen := map[string]ListenOption{
		"Concurrency": WithConcurrency(2), "QueueLen": WithQueueLen(2), "QueueBytes": WithQueueBytes(2),
		"MaxSize": WithMaxSize(2), "MaxConns": WithMaxConns(2), "MaxConnsPerUser": WithMaxConnsPerUser(2),
		"HandshakeTimeout": WithHandshakeTimeout(2), "System": WithSystem(), "SocketActivation": WithSocketActivation(),
		"AllowUIDs": WithAllowUIDs(2), "AllowGIDs": WithAllowGIDs(2), "AllowUsers": WithAllowUsers("x"),
		"AllowGroups": WithAllowGroups("x"), "AllowAnyUser": WithAllowAnyUser(), "Authorize": WithAuthorize(func(Peer) error { return nil }),
		"Also": WithAlso("x"), "Transports": WithTransports(nil), "ShmRingSize": WithShmRingSize(2),
		"Logger": WithLogger(slog.Default()), "OnConnect": WithOnConnect(func(Peer) {}), "OnDisconnect": WithOnDisconnect(func(Peer) {}),
		"WatchUIDs": WithWatchUIDs(2), "NoWatch": WithNoWatch(), "ReuseBuffers": WithReuseBuffers(),
	}
	for field, o := range listen {
		var c ListenConfig
		o(&c)
		if v := reflect.ValueOf(c).FieldByName(field); v.IsZero() {
			t.Errorf("With%s left ListenConfig.%s unset", field, field)
		}
	}
	dial := map[string]DialOption{
		"MaxSize": WithDialMaxSize(2), "HandshakeTimeout": WithDialHandshakeTimeout(2), "CloseTimeout": WithDialCloseTimeout(2),
		"System": WithDialSystem(), "TrustUIDs": WithDialTrustUIDs(2), "Transports": WithDialTransports(nil),
		"Logger": WithDialLogger(slog.Default()), "NoCopy": WithDialNoCopy(), "Redial": WithDialRedial(),
	}
	for field, o := range dial {
		var d Dialer
		o(&d)
		if v := reflect.ValueOf(d).FieldByName(field); v.IsZero() {
			t.Errorf("WithDial%s left Dialer.%s unset", field, field)
		}
	}
}
