/* LD_PRELOADed under valgrind by bench/profile.sh (never in production).
 * Valgrind 3.19 (Debian bookworm's) sanitizes the mask of rt_sigsuspend in place: when the caller's mask lives in
 * read-only memory (a constant), valgrind itself dies of SIGSEGV. The gateway's start-up calls sigsuspend with such
 * a mask, so under valgrind it is handed a copy on the stack. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

int sigsuspend(const sigset_t *mask) {
    sigset_t copy = *mask;
    return (int)syscall(SYS_rt_sigsuspend, &copy, (size_t)8);
}
