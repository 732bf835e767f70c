#ifndef TRELLIS_CPROCESS_H
#define TRELLIS_CPROCESS_H
#include <sys/types.h>

/// Starts `path` with `argv` and `envp` in `directory`: stdin from /dev/null, stdout and stderr to `log_fd`
/// (when >= 0). The command runs under a small supervising process (the returned pid), which leads a new
/// process group holding the command when `new_group` is set, exits with the command's status (or dies by
/// its signal) and, when this process dies, even by SIGKILL, kills the command's process group (Linux
/// parent-death signal). Returns the supervisor's pid, or -errno when the command could not be started
/// (fork, chdir or exec failed).
pid_t trellis_spawn_supervised(const char *path, char *const argv[], char *const envp[], const char *directory,
                               int log_fd, int new_group);

#endif
