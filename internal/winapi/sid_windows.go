package winapi

import (
	"sync"

	"golang.org/x/sys/windows"
)

var userSID = sync.OnceValues(func() (string, error) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return "", err
	}
	return u.User.Sid.String(), nil
})

// UserSID returns the security identifier of the user this process runs
// as, like "S-1-5-21-…-1001".
func UserSID() (string, error) { return userSID() }
