/*
 * conform/agent.c - scenario processes on the real kernel (see agent.h)
 *
 * The agent runs the calls for real: mmap, munmap, mprotect, madvise,
 * mremap, fork, exit, and loads and stores page by page that catch
 * SIGSEGV and SIGBUS and report them as the scenario language does.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conform/agent.h"

#define PAGE 4096UL
#define CF_RLIMIT_STACK (8UL << 20)	/* mm/mm_types.h RLIMIT_STACK_MAX */

/* ------------------------------------------------------------------ */
/* messages: a header, a payload, maybe a descriptor */

static int send_all(int sock, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len) {
		ssize_t n = send(sock, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The header goes with the descriptor in one sendmsg; the payload after. */
static int send_msg(int sock, const void *hdr, size_t hlen, const void *data, size_t dlen, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = (void *)hdr, .iov_len = hlen };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do {
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	if ((size_t)n < hlen && send_all(sock, (const char *)hdr + n, hlen - (size_t)n))
		return -1;
	return dlen ? send_all(sock, data, dlen) : 0;
}

/* Read exactly @len bytes; a descriptor that comes with them goes to *fdp. */
static int recv_all(int sock, void *buf, size_t len, int *fdp)
{
	unsigned char *p = buf;

	while (len) {
		char cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { .iov_base = p, .iov_len = len };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		ssize_t n = recvmsg(sock, &msg, 0);
		struct cmsghdr *c;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!n)
				errno = EPIPE;
			return -1;
		}
		for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && fdp)
				memcpy(fdp, CMSG_DATA(c), sizeof(int));
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* the agent */

static sigjmp_buf fault_jb;

static void on_fault(int sig)
{
	siglongjmp(fault_jb, sig);
}

/*
 * access_pages - a load into @out or a store from @src (or @fill), one
 * page at a time; returns 0 or the signal that stopped it, with the pages
 * completed before it in *done.
 */
static int access_pages(uint64_t addr, uint64_t len, unsigned char *out, const unsigned char *src,
			int fill, bool write, uint64_t *done)
{
	volatile uint64_t off = 0, pages = 0;
	int sig = sigsetjmp(fault_jb, 1);

	if (sig) {
		*done = pages;
		return sig;
	}
	while (off < len) {
		uint64_t a = addr + off;
		size_t n = (size_t)(PAGE - (a & (PAGE - 1)));

		if (n > len - off)
			n = (size_t)(len - off);
		if (!write)
			memcpy(out + off, (const void *)(uintptr_t)a, n);
		else if (src)
			memcpy((void *)(uintptr_t)a, src + off, n);
		else
			memset((void *)(uintptr_t)a, fill, n);
		off += n;
		pages++;
	}
	*done = pages;
	return 0;
}

static void reply(int sock, struct cf_rep *rep, const void *data, int fd)
{
	if (send_msg(sock, rep, sizeof(*rep), data, data ? rep->data_len : 0, fd))
		_exit(1);
}

static void set_ret(struct cf_rep *rep, long ret)
{
	rep->ret = ret;
	rep->err = ret == -1 ? errno : 0;
}

static void agent_main(int sock)
{
	struct sigaction sa = { .sa_handler = on_fault };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	signal(SIGCHLD, SIG_IGN);	/* forked agents are reaped by the kernel */
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		struct cf_req req;
		struct cf_rep rep;
		unsigned char *data = NULL;
		int fd = -1;

		memset(&rep, 0, sizeof(rep));
		if (recv_all(sock, &req, sizeof(req), &fd))
			_exit(0);	/* the runner is gone */
		if (req.data_len) {
			data = malloc(req.data_len);
			if (!data || recv_all(sock, data, req.data_len, NULL))
				_exit(1);
		}
		switch (req.op) {
		case CF_MMAP:
			set_ret(&rep, (long)mmap((void *)(uintptr_t)req.addr, req.len, req.prot,
						 req.flags, fd, (off_t)req.off));
			if (fd >= 0)
				close(fd);
			reply(sock, &rep, NULL, -1);
			break;
		case CF_MUNMAP:
			set_ret(&rep, munmap((void *)(uintptr_t)req.addr, req.len));
			reply(sock, &rep, NULL, -1);
			break;
		case CF_MPROTECT:
			set_ret(&rep, mprotect((void *)(uintptr_t)req.addr, req.len, req.prot));
			reply(sock, &rep, NULL, -1);
			break;
		case CF_MADVISE:
			set_ret(&rep, madvise((void *)(uintptr_t)req.addr, req.len, req.advice));
			reply(sock, &rep, NULL, -1);
			break;
		case CF_MREMAP:
			set_ret(&rep, (long)mremap((void *)(uintptr_t)req.addr, req.len, req.len2,
						   req.flags, (void *)(uintptr_t)req.addr2));
			reply(sock, &rep, NULL, -1);
			break;
		case CF_READ: {
			unsigned char *buf = malloc(req.len ? req.len : 1);

			if (!buf)
				_exit(1);
			rep.sig = access_pages(req.addr, req.len, buf, NULL, 0, false, &rep.done);
			rep.data_len = rep.sig ? 0 : req.len;
			reply(sock, &rep, rep.data_len ? buf : NULL, -1);
			free(buf);
			break;
		}
		case CF_WRITE:
			rep.sig = access_pages(req.addr, req.len, NULL, req.fill ? NULL : data,
					       (int)req.fill_byte, true, &rep.done);
			reply(sock, &rep, NULL, -1);
			break;
		case CF_FORK: {
			int sv[2];
			pid_t pid;

			if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
				set_ret(&rep, -1);
				reply(sock, &rep, NULL, -1);
				break;
			}
			pid = fork();
			if (pid == 0) {		/* the child: a new agent */
				close(sock);
				close(sv[0]);
				sock = sv[1];
				break;
			}
			close(sv[1]);
			set_ret(&rep, pid);
			reply(sock, &rep, NULL, pid > 0 ? sv[0] : -1);
			close(sv[0]);
			break;
		}
		case CF_EXIT:
			_exit(0);	/* the runner sees EOF once the mm is gone */
		default:
			_exit(2);
		}
		free(data);
	}
}

int cf_agent_spawn(const int *close_fds, int nr_close, int *pid)
{
	int sv[2];
	pid_t p;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return -1;
	p = fork();
	if (p < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (p == 0) {
		struct rlimit rl;

		close(sv[0]);
		for (int i = 0; i < nr_close; i++)
			if (close_fds[i] >= 0)
				close(close_fds[i]);
		/* the model's RLIMIT_STACK, which growsdown mappings grow within */
		if (!getrlimit(RLIMIT_STACK, &rl) &&
		    (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= CF_RLIMIT_STACK)) {
			rl.rlim_cur = CF_RLIMIT_STACK;
			setrlimit(RLIMIT_STACK, &rl);
		}
		agent_main(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	*pid = p;
	return sv[0];
}

int cf_call(int sock, const struct cf_req *req, const void *data, int fd, struct cf_rep *rep,
	    unsigned char **datap, int *fdp)
{
	int got_fd = -1;

	if (datap)
		*datap = NULL;
	if (send_msg(sock, req, sizeof(*req), data, data ? req->data_len : 0, fd))
		return -1;
	if (req->op == CF_EXIT) {
		char c;

		/* EOF when the agent has exited: its mm was torn down before its files */
		while (recv(sock, &c, 1, 0) > 0)
			;
		return 0;
	}
	if (recv_all(sock, rep, sizeof(*rep), &got_fd))
		return -1;
	if (fdp)
		*fdp = got_fd;
	else if (got_fd >= 0)
		close(got_fd);
	if (rep->data_len) {
		unsigned char *buf = malloc(rep->data_len);

		if (!buf || recv_all(sock, buf, rep->data_len, NULL)) {
			free(buf);
			return -1;
		}
		if (datap)
			*datap = buf;
		else
			free(buf);
	}
	return 0;
}
