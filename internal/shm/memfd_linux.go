package shm

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Seals a region must carry: its size is fixed (a peer that could shrink
// it would make this process fault on access) and no seal may be added
// later (F_SEAL_FUTURE_WRITE would make our writes fail).
const (
	wantSeals = unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_SEAL
	badSeals  = unix.F_SEAL_WRITE | unix.F_SEAL_FUTURE_WRITE
)

// createRegion makes an anonymous memory file (nothing appears in
// /dev/shm) of l's size, seals it, maps it and writes its header. The
// caller sends fd to the peer and closes it; the mapping stays valid.
func createRegion(l layout) (mem []byte, fd int, err error) {
	fd, err = unix.MemfdCreate("postbox-shm", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, -1, os.NewSyscallError("memfd_create", err)
	}
	mem, err = sealAndMap(fd, l)
	if err != nil {
		unix.Close(fd)
		return nil, -1, err
	}
	l.putHeader(mem)
	return mem, fd, nil
}

func sealAndMap(fd int, l layout) ([]byte, error) {
	if err := unix.Ftruncate(fd, int64(l.total())); err != nil {
		return nil, os.NewSyscallError("ftruncate", err)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, wantSeals); err != nil {
		return nil, os.NewSyscallError("fcntl F_ADD_SEALS", err)
	}
	return mapRegion(fd, l.total())
}

// openRegion checks a memory file received from the peer — sealed, with a
// header that describes exactly its size — and maps it. The fd stays the
// caller's to close.
func openRegion(fd int) ([]byte, layout, error) {
	seals, err := unix.FcntlInt(uintptr(fd), unix.F_GET_SEALS, 0)
	if err != nil {
		return nil, layout{}, corrupt("the descriptor is not a sealable memory file: %v", err)
	}
	if seals&wantSeals != wantSeals || seals&badSeals != 0 {
		return nil, layout{}, corrupt("memory file seals %#x, want %#x and none of %#x", seals, wantSeals, badSeals)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, layout{}, os.NewSyscallError("fstat", err)
	}
	size := uint64(st.Size)
	if st.Size < 0 || size > controlSize+2*MaxRingSize+2*MaxArenaSize {
		return nil, layout{}, corrupt("memory file of %d bytes", st.Size)
	}
	var hdr [headerFields]byte
	if n, err := unix.Pread(fd, hdr[:], 0); err != nil || n != len(hdr) {
		return nil, layout{}, corrupt("memory file header unreadable (%d bytes, %v)", n, err)
	}
	l, err := readLayout(hdr[:], size)
	if err != nil {
		return nil, layout{}, err
	}
	mem, err := mapRegion(fd, size)
	return mem, l, err
}

func mapRegion(fd int, size uint64) ([]byte, error) {
	mem, err := unix.Mmap(fd, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, os.NewSyscallError("mmap", err)
	}
	return mem, nil
}

// unmap releases a mapping made by mapRegion.
func unmap(mem []byte) {
	if mem != nil {
		unix.Munmap(mem)
	}
}

// unmapKeeping releases a mapping made by mapRegion, but for the spans in
// keep (sorted, disjoint, page-aligned), which stay at their addresses
// with their contents in private memory of their own (detach); each goes
// with unmapPages.
func unmapKeeping(mem []byte, keep []span) {
	if len(keep) == 0 {
		unmap(mem)
		return
	}
	var at uint64
	for _, s := range append(keep, span{uint64(len(mem)), uint64(len(mem))}) {
		if s.off > at {
			unmapPages(mem[at:s.off])
		}
		if s.end > s.off {
			detach(mem[s.off:s.end])
		}
		at = s.end
	}
}

// detach moves p's pages onto private memory holding the same bytes, at the
// same addresses, in one step (mremap), so that a reader never sees them
// change. If it cannot, the shared pages stay mapped, and valid.
func detach(p []byte) {
	n := uintptr(len(p))
	tmp, err := unix.MmapPtr(-1, 0, nil, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return
	}
	copy(unsafe.Slice((*byte)(tmp), n), p)
	_, _, errno := unix.Syscall6(unix.SYS_MREMAP, uintptr(tmp), n, n,
		unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED, uintptr(unsafe.Pointer(unsafe.SliceData(p))), 0)
	if errno != 0 {
		unix.MunmapPtr(tmp, n)
	}
}

// unmapPages unmaps whole pages of a region, detached or not.
func unmapPages(p []byte) {
	unix.MunmapPtr(unsafe.Pointer(unsafe.SliceData(p)), uintptr(len(p)))
}
