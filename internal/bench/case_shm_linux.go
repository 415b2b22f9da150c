package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func shmCase(name string, futex bool, note string) Case {
	return Case{
		Name: name, Group: GroupBaseline, Note: note, SendOnly: true, SingleCaller: true,
		Serve: func(ctx context.Context, p Params) (Server, error) {
			return serveShm(filepath.Join(p.Dir, p.Name+".shm"), p.MaxSize, futex)
		},
		Dial: func(ctx context.Context, p Params, addr string) (Client, error) {
			r, err := mapShm(addr, p.MaxSize, false)
			if err != nil {
				return nil, err
			}
			return &shmClient{r: r, futex: futex}, nil
		},
	}
}

// shmRegion is one mapping of the shared file.
type shmRegion struct {
	mem  []byte
	max  int
	path string
}

// mapShm maps the file at path, creating it (sized for max-byte payloads)
// when create is set.
func mapShm(path string, max int, create bool) (*shmRegion, error) {
	flags := os.O_RDWR
	if create {
		flags |= os.O_CREATE | os.O_EXCL
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := shmSize(max)
	if create {
		if err := f.Truncate(int64(size)); err != nil {
			return nil, err
		}
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap %s: %w", path, err)
	}
	return &shmRegion{mem: mem, max: max, path: path}, nil
}

func (r *shmRegion) word(off int) *uint32 { return (*uint32)(unsafe.Pointer(&r.mem[off])) }
func (r *shmRegion) req() []byte          { return r.mem[shmData : shmData+r.max] }
func (r *shmRegion) resp() []byte         { return r.mem[len(r.mem)-(len(r.mem)-shmData)/2:][:r.max] }
func (r *shmRegion) unmap() error         { return unix.Munmap(r.mem) }

// wait blocks until *w differs from old, by spinning or with futex waits,
// checking stop (and done, when not nil) now and then.
func wait(w *uint32, old uint32, futex bool, stop *uint32, done <-chan struct{}) error {
	for i := 0; ; i++ {
		if atomic.LoadUint32(w) != old {
			return nil
		}
		if futex {
			futexWait(w, old, 50*time.Millisecond)
		} else if i&0xfff != 0 {
			continue
		}
		if atomic.LoadUint32(stop) != 0 {
			return errors.New("bench: shared-memory peer stopped")
		}
		if done != nil {
			select {
			case <-done:
				return context.Canceled
			default:
			}
		}
	}
}

// futexWait sleeps while *w == val, at most d. Not FUTEX_PRIVATE: the word
// is shared between processes.
func futexWait(w *uint32, val uint32, d time.Duration) {
	ts := unix.NsecToTimespec(int64(d))
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(w)), 0 /* FUTEX_WAIT */, uintptr(val),
		uintptr(unsafe.Pointer(&ts)), 0, 0)
}

// futexWake wakes one waiter on w.
func futexWake(w *uint32) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(w)), 1 /* FUTEX_WAKE */, 1, 0, 0, 0)
}

type shmServer struct {
	r     *shmRegion
	futex bool
	wg    sync.WaitGroup
	once  sync.Once
}

func serveShm(path string, max int, futex bool) (*shmServer, error) {
	r, err := mapShm(path, max, true)
	if err != nil {
		return nil, err
	}
	s := &shmServer{r: r, futex: futex}
	s.wg.Add(1)
	go s.loop()
	return s, nil
}

// loop answers requests: each is copied into the reply area.
func (s *shmServer) loop() {
	defer s.wg.Done()
	r := s.r
	stop := r.word(shmStop)
	var last uint32
	for {
		if wait(r.word(shmReq), last, s.futex, stop, nil) != nil {
			return
		}
		if atomic.LoadUint32(stop) != 0 {
			return
		}
		last = atomic.LoadUint32(r.word(shmReq))
		n := min(int(atomic.LoadUint32(r.word(shmLen))), r.max) // untrusted
		copy(r.resp()[:n], r.req()[:n])
		atomic.StoreUint32(r.word(shmResp), last)
		if s.futex {
			futexWake(r.word(shmResp))
		}
	}
}

func (s *shmServer) Addr() string    { return s.r.path }
func (s *shmServer) Received() int64 { return 0 }

func (s *shmServer) Close() error {
	s.once.Do(func() {
		atomic.StoreUint32(s.r.word(shmStop), 1)
		atomic.AddUint32(s.r.word(shmReq), 1)
		futexWake(s.r.word(shmReq))
		s.wg.Wait()
		_ = s.r.unmap()
		os.Remove(s.r.path)
	})
	return nil
}

// shmClient is not safe for concurrent use.
type shmClient struct {
	r     *shmRegion
	futex bool
	seq   uint32
	in    []byte
}

func (c *shmClient) Send(ctx context.Context, p []byte) error {
	r := c.r
	if len(p) > r.max {
		return fmt.Errorf("bench: %d bytes exceed the region's %d", len(p), r.max)
	}
	copy(r.req(), p)
	atomic.StoreUint32(r.word(shmLen), uint32(len(p)))
	c.seq = atomic.LoadUint32(r.word(shmReq)) + 1
	atomic.StoreUint32(r.word(shmReq), c.seq)
	if c.futex {
		futexWake(r.word(shmReq))
	}
	for {
		got := atomic.LoadUint32(r.word(shmResp))
		if got == c.seq {
			break
		}
		if err := wait(r.word(shmResp), got, c.futex, r.word(shmStop), ctx.Done()); err != nil {
			return err
		}
	}
	if cap(c.in) < len(p) {
		c.in = make([]byte, len(p))
	}
	copy(c.in[:len(p)], r.resp())
	return nil
}

func (c *shmClient) Post(context.Context, []byte) error { return errors.ErrUnsupported }
func (c *shmClient) Flush(context.Context) error        { return nil }
func (c *shmClient) Close() error                       { return c.r.unmap() }
