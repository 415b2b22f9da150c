//go:build !windows

package cli

// addrHelp describes the addresses this OS's transports take.
const addrHelp = "Addresses: NAME (the default transport), unix:NAME, unix:/path.sock, shm:NAME (Linux), inproc:NAME,\n  tcp://HOST:PORT[/NAME] (see listen --tcp and the --tls-* flags)."

// accountName names the user with a Windows SID; only Windows has them.
func accountName(sid string) string { return sid }
