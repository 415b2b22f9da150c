package bench

// baselineCases are the bare mechanisms every figure is compared with.
func baselineCases() []Case {
	out := rawCases()
	out = append(out, shmCases()...)
	return append(out, memcpyCase())
}
