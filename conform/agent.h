/*
 * conform/agent.h - a scenario process on the real kernel
 *
 * Each process of a scenario is a real process (an agent) driven over a
 * unix stream socket.  The runner forks the first agent of every `proc P`;
 * `fork P Q` asks agent P to fork(2) itself, and P hands the runner the
 * new channel to Q with SCM_RIGHTS.  A file descriptor travels with every
 * mmap of a file the same way, so agents keep no file open.
 *
 * Every request is one message: a fixed header, an optional payload
 * (write data), an optional descriptor.  Every reply: a header and an
 * optional payload (read data) or descriptor (fork).
 *
 * Prefix: cf_ (conform/).
 */
#ifndef RMAPLAB_CONFORM_AGENT_H
#define RMAPLAB_CONFORM_AGENT_H

#include <stdbool.h>
#include <stdint.h>

enum cf_op {
	CF_MMAP = 1,
	CF_MUNMAP,
	CF_MPROTECT,
	CF_MADVISE,
	CF_MREMAP,
	CF_READ,
	CF_WRITE,
	CF_FORK,
	CF_EXIT,
};

struct cf_req {
	uint32_t op;		/* enum cf_op */
	int32_t prot, flags, advice;
	uint64_t addr, len, len2, addr2, off;
	uint64_t data_len;	/* CF_WRITE: bytes that follow, or 0 with fill */
	uint32_t fill;		/* CF_WRITE: 1 if every byte is fill_byte */
	uint32_t fill_byte;
};

struct cf_rep {
	int64_t ret;		/* syscall result (address, 0) */
	int32_t err;		/* errno when the call failed, else 0 */
	int32_t sig;		/* SIGSEGV or SIGBUS when an access faulted, else 0 */
	uint64_t done;		/* pages completed before a signal */
	uint64_t data_len;	/* CF_READ: bytes that follow */
};

/*
 * cf_agent_spawn - fork the first agent of a `proc` statement, with the
 * model's RLIMIT_STACK (8 MiB) when the hard limit allows.  Returns
 * the runner's end of its channel and its pid, or -1 with errno set.
 * @close_fds lists the runner's other descriptors the child must close.
 */
int cf_agent_spawn(const int *close_fds, int nr_close, int *pid);

/*
 * cf_call - send @req (with @data and @fd when not NULL / not -1) over
 * @sock and read the reply; the reply's payload goes to a malloc'd *datap
 * and a received descriptor to *fdp.  Returns 0, or -1 when the agent is
 * gone or the channel broke (errno set).
 */
int cf_call(int sock, const struct cf_req *req, const void *data, int fd, struct cf_rep *rep,
	    unsigned char **datap, int *fdp);

#endif /* RMAPLAB_CONFORM_AGENT_H */
