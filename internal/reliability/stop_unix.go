//go:build unix

package reliability

import "syscall"

// freeze stops the child (SIGSTOP): a receiver that is alive, holds its
// connections open and reads nothing. The returned function resumes it.
func (p *childProc) freeze() (thaw func(), err error) {
	pid := p.cmd.Process.Pid
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		return nil, err
	}
	return func() { syscall.Kill(pid, syscall.SIGCONT) }, nil
}
