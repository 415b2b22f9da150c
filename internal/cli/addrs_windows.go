package cli

import "golang.org/x/sys/windows"

// addrHelp describes the addresses this OS's transports take.
const addrHelp = `Addresses: NAME (a named pipe, the default), pipe:NAME, inproc:NAME, tcp://HOST:PORT[/NAME], and any window:
  winmsg:NAME (an endpoint's window), winmsg:title=TEXT, winmsg:class=NAME,
  winmsg:pid=N (its main window), winmsg:hwnd=0x1A2B, each optionally followed by
  ?enc=ansi (ANSI text + NUL, like C#'s Encoding.Default) or ?enc=utf16 for WM_COPYDATA data.`

// accountName names the user with a Windows SID as DOMAIN\user.
func accountName(sid string) string {
	s, err := windows.StringToSid(sid)
	if err != nil {
		return sid
	}
	account, domain, _, err := s.LookupAccount("")
	if err != nil {
		return sid
	}
	if domain == "" {
		return account
	}
	return domain + `\` + account
}
