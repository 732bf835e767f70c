// Between fork and exec only async-signal-safe calls are made: the parent is multithreaded.
#define _GNU_SOURCE
#include "CProcess.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static void write_errno(int fd, int err) {
    if (fd < 0) return;
    int32_t e = err;
    ssize_t n;
    do { n = write(fd, &e, sizeof e); } while (n < 0 && errno == EINTR);
}

/// Default dispositions (ignored signals survive fork and exec; SIGCHLD ignored would reap children).
static void default_dispositions(void) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < 65; s++) {
        if (s != SIGKILL && s != SIGSTOP) sigaction(s, &dfl, NULL);
    }
}

/// Default dispositions and an empty mask, so the command starts clean.
static void reset_signals(void) {
    default_dispositions();
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static void run_command(const char *path, char *const argv[], char *const envp[], const char *directory,
                        int log_fd, int err_fd, pid_t supervisor) {
    reset_signals();
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != supervisor) _exit(127);
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd < 0) { write_errno(err_fd, errno); _exit(127); }
    if (null_fd != 0) { dup2(null_fd, 0); close(null_fd); }
    if (log_fd >= 0) { dup2(log_fd, 1); dup2(log_fd, 2); }
    if (directory && chdir(directory) != 0) { write_errno(err_fd, errno); _exit(127); }
    execve(path, argv, envp);
    int e = errno;
    write_errno(err_fd, e);
    if (err_fd < 0) {
        const char *m = "trellis-supervise: cannot start the command: ";
        write(2, m, strlen(m)); write(2, strerror(e), strlen(strerror(e))); write(2, "\n", 1);
    }
    _exit(127);
}

void trellis_supervise(const char *path, char *const argv[], char *const envp[], const char *directory,
                       int log_fd, int new_group, int err_fd, pid_t runner, int death_signal) {
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    default_dispositions();
    if (new_group && getpgid(0) != getpid()) setpgid(0, 0);
    // Every signal is blocked (the parent blocked them before fork); wait for them synchronously.
    prctl(PR_SET_PDEATHSIG, death_signal);
    if (getppid() != runner) _exit(137);
    pid_t me = getpid();
    pid_t cmd = fork();
    if (cmd < 0) { write_errno(err_fd, errno); _exit(127); }
    if (cmd > 0 && err_fd >= 0) close(err_fd);
    if (cmd == 0) run_command(path, argv, envp, directory, log_fd, err_fd, me);
    sigset_t wanted;
    sigemptyset(&wanted);
    sigaddset(&wanted, SIGCHLD);
    sigaddset(&wanted, death_signal);
    sigaddset(&wanted, SIGTERM);
    sigaddset(&wanted, SIGINT);
    sigaddset(&wanted, SIGHUP);
    sigaddset(&wanted, SIGQUIT);
    for (;;) {
        siginfo_t info;
        int sig = sigwaitinfo(&wanted, &info);
        if (sig < 0) continue;
        if (sig == death_signal) {
            // The runner is gone: nothing will wait for this command, stop it and everything it started.
            if (new_group) kill(0, SIGKILL);
            kill(cmd, SIGKILL);
            _exit(137);
        }
        if (sig != SIGCHLD) {
            // Forward what the runner sends (it signals only this process when there is no own group).
            kill(cmd, sig);
            continue;
        }
        int status = 0;
        pid_t r = waitpid(cmd, &status, WNOHANG);
        if (r == 0 || (r < 0 && errno == EINTR)) continue;
        if (r < 0) _exit(127);
        if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
        if (WIFSIGNALED(status)) {
            int s = WTERMSIG(status);
            struct rlimit none = {0, 0};
            setrlimit(RLIMIT_CORE, &none);
            struct sigaction dfl;
            memset(&dfl, 0, sizeof dfl);
            dfl.sa_handler = SIG_DFL;
            sigaction(s, &dfl, NULL);
            sigset_t only;
            sigemptyset(&only);
            sigaddset(&only, s);
            sigprocmask(SIG_UNBLOCK, &only, NULL);
            kill(me, s);
            _exit(128 + s);
        }
    }
}

int trellis_death_signal(void) { return SIGRTMIN + 3; }

pid_t trellis_spawn_supervised(const char *path, char *const argv[], char *const envp[], const char *directory,
                               int log_fd, int new_group) {
    int death_signal = trellis_death_signal();
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) return -errno;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t runner = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        close(pipe_fds[0]);
        trellis_supervise(path, argv, envp, directory, log_fd, new_group, pipe_fds[1], runner, death_signal);
        _exit(127);
    }
    int fork_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(pipe_fds[1]);
    if (pid < 0) { close(pipe_fds[0]); return -fork_errno; }
    // The pipe closes on exec; four bytes mean the command never started.
    int32_t child_errno = 0;
    ssize_t n;
    do { n = read(pipe_fds[0], &child_errno, sizeof child_errno); } while (n < 0 && errno == EINTR);
    close(pipe_fds[0]);
    if (n == sizeof child_errno) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        return -(child_errno ? child_errno : ECHILD);
    }
    return pid;
}
