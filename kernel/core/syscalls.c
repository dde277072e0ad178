/*
 * The system calls newlib's libc expects (built with MISSING_SYSCALL_NAMES, so no
 * leading underscore). Only the formatting and string parts of libc are used; stdio
 * streams and malloc are not, so these report failure except write to the console.
 */
#include <errno.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "kernel/core/console.h"
#include "kernel/lib/panic.h"

int write(int fd, const void *buf, size_t len);
int read(int fd, void *buf, size_t len);
int close(int fd);
off_t lseek(int fd, off_t off, int whence);
int fstat(int fd, struct stat *st);
int isatty(int fd);
void *sbrk(ptrdiff_t increment);
void _exit(int status);
int kill(int pid, int sig);
int getpid(void);

int write(int fd, const void *buf, size_t len)
{
    if (fd != 1 && fd != 2) {
        errno = EBADF;
        return -1;
    }
    console_write(buf, len);
    return (int)len;
}

int read(int fd, void *buf, size_t len)
{
    (void)fd; (void)buf; (void)len;
    errno = EBADF;
    return -1;
}

int close(int fd) { (void)fd; errno = EBADF; return -1; }
off_t lseek(int fd, off_t off, int whence) { (void)fd; (void)off; (void)whence; errno = ESPIPE; return -1; }
int isatty(int fd) { return fd <= 2; }
int getpid(void) { return 1; }
int kill(int pid, int sig) { (void)pid; (void)sig; errno = EINVAL; return -1; }

int fstat(int fd, struct stat *st)
{
    (void)fd;
    st->st_mode = S_IFCHR;
    return 0;
}

/* VTL2 memory comes from the page allocator, never from a libc heap. */
void *sbrk(ptrdiff_t increment)
{
    (void)increment;
    errno = ENOMEM;
    return (void *)-1;
}

void _exit(int status)
{
    panic("libc exit(%d)", status);
}
