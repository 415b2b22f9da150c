package winapi

import (
	"sync"

	"golang.org/x/sys/windows"
)

// IsWine reports whether the process runs under Wine rather than Windows:
// Wine's ntdll exports wine_get_version. Only tests use it, to skip what
// Wine does not implement, naming the limitation.
var IsWine = sync.OnceValue(func() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
})
