//go:build !linux

package devstack

import "syscall"

// procAttr puts a child in its own process group, so stopping it stops
// what it started.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
