//go:build !race

package gocnn

const raceEnabled = false
