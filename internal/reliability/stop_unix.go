//go:build unix

package reliability

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"
)

// freeze stops the child (SIGSTOP): a receiver that is alive, holds its
// connections open and reads nothing. It returns once the child has
// stopped; the returned function resumes it.
func (p *childProc) freeze() (thaw func(), err error) {
	pid := p.Cmd.Process.Pid
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		return nil, err
	}
	thaw = func() { syscall.Kill(pid, syscall.SIGCONT) }
	// The signal is delivered asynchronously; until every thread has
	// stopped the child may still answer.
	if runtime.GOOS != "linux" {
		time.Sleep(100 * time.Millisecond)
		return thaw, nil
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if stopped(pid) {
			return thaw, nil
		}
	}
	thaw()
	return nil, fmt.Errorf("process %d did not stop", pid)
}

// stopped reports whether every thread of process pid is stopped (state T
// in /proc/PID/task/*/stat).
func stopped(pid int) bool {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil || len(tasks) == 0 {
		return false
	}
	for _, task := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, task.Name()))
		if err != nil {
			return false
		}
		// "pid (comm) S ...": the state follows the last ')'.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 || i+2 >= len(b) || b[i+2] != 'T' {
			return false
		}
	}
	return true
}
