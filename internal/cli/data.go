package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// readData turns a DATA argument into bytes: "@FILE" reads a file, "-"
// reads standard input, anything else is the text itself.
func readData(e *env, arg string) ([]byte, error) {
	switch {
	case arg == "-":
		return io.ReadAll(e.stdin)
	case strings.HasPrefix(arg, "@"):
		b, err := os.ReadFile(arg[1:])
		if err != nil {
			return nil, fmt.Errorf("reading data: %w", err)
		}
		return b, nil
	}
	return []byte(arg), nil
}

// printable renders data for a one-line display: text quoted, binary as hex.
func printable(b []byte, limit int) string {
	cut := ""
	if limit > 0 && len(b) > limit {
		b, cut = b[:limit], fmt.Sprintf("…(+%d bytes)", len(b)-limit)
	}
	if utf8.Valid(b) {
		return fmt.Sprintf("%q%s", b, cut)
	}
	return fmt.Sprintf("0x%x%s", b, cut)
}

// jsonData is data for JSON output: a string when it is valid UTF-8,
// otherwise base64 (encoding/json's []byte form) under another key.
func jsonData(obj map[string]any, b []byte) {
	if utf8.Valid(b) {
		obj["data"] = string(b)
	} else {
		obj["data_base64"] = b
	}
}

func writeJSON(w io.Writer, obj any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(obj)
}
