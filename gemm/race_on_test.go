//go:build race

package gemm

// raceEnabled: under -race sync.Pool drops items on purpose, so allocation
// counts are meaningless.
const raceEnabled = true
