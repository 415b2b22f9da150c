package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
)

func init() {
	register("version", "print the version: module, VCS revision, the library's and Go's", runVersion)
}

// buildInfo is what "postbox version" reports, from the binary's build
// information: the module version "go install …@VERSION" stamps, and the
// VCS revision "go build" stamps in a checkout.
type buildInfo struct {
	Version  string            `json:"version"`            // the command module's version, "(devel)" in a checkout
	Module   string            `json:"module"`             // the command module
	Revision string            `json:"revision,omitempty"` // VCS commit
	Time     string            `json:"time,omitempty"`     // its commit time
	Modified bool              `json:"modified,omitempty"` // built from a checkout with changes
	Deps     map[string]string `json:"deps,omitempty"`     // Postbox modules it was built with, by path
	Go       string            `json:"go"`
	Platform string            `json:"platform"`
}

func readBuildInfo() buildInfo {
	b := buildInfo{Version: "(unknown)", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.Version, b.Module = bi.Main.Version, bi.Main.Path
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	for _, d := range bi.Deps {
		if strings.HasPrefix(d.Path, "github.com/postbox-ipc/postbox") {
			if b.Deps == nil {
				b.Deps = map[string]string{}
			}
			b.Deps[d.Path] = d.Version
		}
	}
	return b
}

func runVersion(e *env, args []string) error {
	fs := newFlags("version", "", e.stdout)
	asJSON := jsonFlag(e, fs, "print the build information as a JSON object")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("version takes no arguments")
	}
	b := readBuildInfo()
	if *asJSON {
		return writeJSON(e.stdout, b)
	}
	fmt.Fprintf(e.stdout, "postbox %s (%s %s)\n", b.Version, b.Go, b.Platform)
	if b.Revision != "" {
		mod := ""
		if b.Modified {
			mod = ", with uncommitted changes"
		}
		fmt.Fprintf(e.stdout, "  revision %s, %s%s\n", b.Revision, b.Time, mod)
	}
	for _, p := range sortedKeys(b.Deps) {
		fmt.Fprintf(e.stdout, "  %s %s\n", p, b.Deps[p])
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
