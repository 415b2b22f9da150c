package winmsg_test

import (
	"testing"

	"github.com/postbox-ipc/postbox/internal/conformance"
	"github.com/postbox-ipc/postbox/internal/wintest"
)

func TestMain(m *testing.M) {
	wintest.Main(m, map[string]func([]string) int{
		"counter": childCounter,
	}, func() { conformance.Main(m, target) })
}
