package devstack

import "syscall"

// procAttr puts a child in its own process group (so stopping it stops what
// it started) and has the kernel kill it if the stack's process dies
// without stopping it (a test killed by its timeout, a crash).
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
