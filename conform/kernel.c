/*
 * conform/kernel.c - scenario statements on the real kernel (see kernel.h)
 *
 * Processes are agents (agent.c); the calls that name a process go to its
 * agent, the file calls (pread, pwrite, ftruncate) are the runner's own.
 * Results become scn_outcomes exactly as the model's do: a failed call is
 * its errno, a faulting access its signal, mmap its address.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conform/agent.h"
#include "conform/kernel.h"
#include "explore/interp.h"
#include "lib/mman.h"
#include "lib/util.h"

const char *cf_disk_dir(void)
{
	const char *d = getenv("TMPDIR");

	return d && *d ? d : "/tmp";
}

const char *cf_kernel_skips(enum scn_op op)
{
	switch (op) {
	case SCN_OP_CHECK:
		return "check is model-only";
	case SCN_OP_MIGRATE:
	case SCN_OP_COMPACT:
	case SCN_OP_RECLAIM:
	case SCN_OP_SPLIT:
		return "kernel-internal: user space cannot target it on this machine";
	case SCN_OP_EXEC:
		return "a real exec would replace the agent";
	case SCN_OP_PIN:
	case SCN_OP_PINREAD:
	case SCN_OP_PINWRITE:
	case SCN_OP_UNPIN:
		return "pins are not run on the kernel yet";
	case SCN_OP_INJECT:
		return "allocation failure injection is model-only";
	default:
		return NULL;
	}
}

void cf_kernel_init(struct cf_kernel *k, const struct scenario *scn, bool memfd)
{
	int n = scn->nr_syms ? scn->nr_syms : 1;

	memset(k, 0, sizeof(*k));
	k->scn = scn;
	k->memfd = memfd;
	k->dir = cf_disk_dir();
	k->sock = xmalloc((size_t)n * sizeof(int));
	k->pid = xcalloc((size_t)n, sizeof(int));
	k->fd = xmalloc((size_t)n * sizeof(int));
	k->values = xcalloc((size_t)n, sizeof(uint64_t));
	k->bound = xcalloc((size_t)n, sizeof(bool));
	for (int i = 0; i < n; i++)
		k->sock[i] = k->fd[i] = -1;
	/* orphaned agents (their parent exited first) are ours to reap */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGPIPE, SIG_IGN);	/* a dead agent is an error, not a signal */
	signal(SIGXFSZ, SIG_IGN);	/* a file past RLIMIT_FSIZE is EFBIG */
}

/* Every descriptor of the runner an agent must not keep. */
static int *open_fds(const struct cf_kernel *k, int *nr)
{
	int *fds = xmalloc((size_t)(2 * k->scn->nr_syms + 1) * sizeof(int));

	*nr = 0;
	for (int i = 0; i < k->scn->nr_syms; i++) {
		if (k->sock[i] >= 0)
			fds[(*nr)++] = k->sock[i];
		if (k->fd[i] >= 0)
			fds[(*nr)++] = k->fd[i];
	}
	return fds;
}

static void out_errno(struct scn_outcome *o, int err)
{
	o->kind = SCN_RES_ERRNO;
	o->err = err;
}

/* mmap, mremap: the address, or the errno */
static void out_addr(struct scn_outcome *o, const struct cf_rep *rep)
{
	if (rep->err) {
		out_errno(o, rep->err);
	} else {
		o->kind = SCN_RES_INT;
		o->value = rep->ret;
	}
}

static void out_ret(struct scn_outcome *o, const struct cf_rep *rep)
{
	if (rep->err)
		out_errno(o, rep->err);
	else
		o->kind = SCN_RES_OK;
}

/* A new file: O_TMPFILE in the disk directory, or a memfd; -errno on failure. */
static int file_open(const struct cf_kernel *k, const char *name)
{
	int fd = k->memfd ? memfd_create(name, MFD_CLOEXEC)
			  : open(k->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	return fd < 0 ? -errno : fd;
}

/*
 * The language's pread and pwrite name no buffer; docs/semantics.md puts
 * it at 0x10000 in a process of its own, which makes the kernel's
 * access_ok() say EFAULT for the same lengths in the model and here.  The
 * runner is that process: it maps the buffer there for each call.
 */
#define RW_USER_BUF	0x10000UL
#define RW_TASK_SIZE	0x7ffffffff000UL
#define RW_MAX_REAL	(64UL << 20)	/* the most a pwrite really writes from here */

static unsigned char *user_buf_map(uint64_t len, size_t *mapped)
{
	void *p;

	*mapped = (size_t)((MAX(len, 1) + 4095) & ~4095UL);
	p = mmap((void *)RW_USER_BUF, *mapped, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (p != (void *)RW_USER_BUF) {	/* a kernel without MAP_FIXED_NOREPLACE */
		munmap(p, *mapped);
		errno = EEXIST;
		return NULL;
	}
	return p;
}

/*
 * pwrite(2) once: a short write (at s_maxbytes) is a success, as in the
 * language.  Data beyond RW_MAX_REAL is not materialised: a length no
 * buffer can have is passed as it is (access_ok refuses it before any
 * copy), any other is not run.
 */
static enum cf_kstatus do_pwrite(int fd, const struct scn_stmt *st, const struct scn_args *a,
				 struct scn_outcome *o, char *why, size_t why_size)
{
	const struct scn_data *d = &st->data;
	bool unreal = d->len > RW_TASK_SIZE - RW_USER_BUF;
	unsigned char *buf;
	size_t mapped;
	ssize_t n;

	if (d->len > RW_MAX_REAL && !unreal) {
		snprintf(why, why_size, "%llu bytes of data are too many to write for real",
			 (unsigned long long)d->len);
		return CF_K_SKIPPED;
	}
	buf = user_buf_map(unreal ? 1 : d->len, &mapped);
	if (!buf) {
		snprintf(why, why_size, "cannot map the user buffer at 0x%lx: %s", RW_USER_BUF,
			 strerror(errno));
		return CF_K_BROKEN;
	}
	if (unreal)
		;
	else if (d->kind == SCN_DATA_FILL)
		memset(buf, d->fill, d->len);
	else if (d->len)
		memcpy(buf, d->bytes, d->len);
	n = pwrite(fd, buf, d->len, (off_t)a->off);
	if (n < 0)
		out_errno(o, errno);
	else
		o->kind = SCN_RES_OK;
	munmap(buf, mapped);
	return CF_K_OK;
}

/*
 * pread(2) with the count the scenario asked for (access_ok and
 * rw_verify_area check it), into a buffer at RW_USER_BUF big enough for
 * what the file can give.
 */
static enum cf_kstatus do_pread(int fd, const struct scn_args *a, struct scn_outcome *o,
				char *why, size_t why_size)
{
	struct stat sb;
	uint64_t room, got = 0;
	unsigned char *buf;
	size_t mapped;

	if (fstat(fd, &sb)) {
		out_errno(o, errno);
		return CF_K_OK;
	}
	room = a->off < (uint64_t)sb.st_size ? MIN(a->len, (uint64_t)sb.st_size - a->off) : 0;
	buf = user_buf_map(room, &mapped);
	if (!buf) {
		snprintf(why, why_size, "cannot map the user buffer at 0x%lx: %s", RW_USER_BUF,
			 strerror(errno));
		return CF_K_BROKEN;
	}
	for (;;) {
		ssize_t n = pread(fd, buf + got, (size_t)(a->len - got), (off_t)(a->off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			out_errno(o, errno);
			munmap(buf, mapped);
			return CF_K_OK;
		}
		got += (uint64_t)n;
		if (!n || got == a->len)
			break;
	}
	o->kind = SCN_RES_DATA;
	o->data = xmalloc(got ? got : 1);
	memcpy(o->data, buf, got);
	o->len = got;
	munmap(buf, mapped);
	return CF_K_OK;
}

static void do_access(int sock, const struct scn_stmt *st, const struct scn_args *a,
		      struct scn_outcome *o, struct cf_rep *rep, bool *broken)
{
	struct cf_req req = { .addr = a->addr };
	const void *payload = NULL;
	unsigned char *data = NULL;

	if (st->op == SCN_OP_READ) {
		req.op = CF_READ;
		req.len = a->len;
	} else {
		req.op = CF_WRITE;
		req.len = st->data.len;
		if (st->data.kind == SCN_DATA_FILL) {
			req.fill = 1;
			req.fill_byte = st->data.fill;
		} else {
			req.data_len = st->data.len;
			payload = st->data.bytes;
		}
	}
	if (cf_call(sock, &req, payload, -1, rep, &data, NULL)) {
		*broken = true;
		return;
	}
	if (rep->sig) {
		o->kind = SCN_RES_SIGNAL;
		o->sig = rep->sig;
		o->progress = rep->done;
		free(data);
	} else if (st->op == SCN_OP_READ) {
		o->kind = SCN_RES_DATA;
		o->data = data ? data : xmalloc(1);
		o->len = a->len;
	} else {
		o->kind = SCN_RES_OK;
	}
}

static enum cf_kstatus broken(char *why, size_t size, const char *what)
{
	snprintf(why, size, "%s: %s", what, strerror(errno));
	return CF_K_BROKEN;
}

enum cf_kstatus cf_kernel_exec(struct cf_kernel *k, const struct scn_stmt *st,
			       struct scn_args *args, struct scn_outcome *out, char *why,
			       size_t why_size)
{
	int sock = st->proc >= 0 ? k->sock[st->proc] : -1;
	int fd = st->file >= 0 ? k->fd[st->file] : -1;
	struct cf_req req = { 0 };
	struct cf_rep rep = { 0 };
	const char *skip = cf_kernel_skips(st->op);
	bool agent_broke = false;

	memset(out, 0, sizeof(*out));
	why[0] = '\0';
	if (skip) {
		snprintf(why, why_size, "%s", skip);
		return CF_K_SKIPPED;
	}
	if (!ex_eval_args(k->values, k->bound, st, args))
		return CF_K_UNBOUND;
	if (st->proc >= 0 && st->op != SCN_OP_PROC && sock < 0) {
		out_errno(out, ESRCH);
		return CF_K_OK;
	}
	if (st->file >= 0 && st->op != SCN_OP_FILE && fd < 0) {
		out_errno(out, ENOENT);
		return CF_K_OK;
	}
	switch (st->op) {
	case SCN_OP_PROC: {
		int nr, *fds = open_fds(k, &nr);

		k->sock[st->proc] = cf_agent_spawn(fds, nr, &k->pid[st->proc]);
		free(fds);
		if (k->sock[st->proc] < 0)
			return broken(why, why_size, "fork of an agent");
		out->kind = SCN_RES_OK;
		break;
	}
	case SCN_OP_FORK: {
		int child = -1;

		req.op = CF_FORK;
		if (cf_call(sock, &req, NULL, -1, &rep, NULL, &child))
			return broken(why, why_size, "fork request");
		if (!rep.err && child < 0) {
			errno = EPROTO;
			return broken(why, why_size, "fork reply without a channel");
		}
		k->sock[st->proc2] = rep.err ? -1 : child;
		k->pid[st->proc2] = 0;	/* the parent agent reaps it */
		out_ret(out, &rep);
		break;
	}
	case SCN_OP_EXIT:
		req.op = CF_EXIT;
		cf_call(sock, &req, NULL, -1, &rep, NULL, NULL);	/* returns at EOF */
		close(sock);
		if (k->pid[st->proc] > 0)
			waitpid(k->pid[st->proc], NULL, 0);
		k->sock[st->proc] = -1;
		k->pid[st->proc] = 0;
		out->kind = SCN_RES_OK;
		break;
	case SCN_OP_FILE: {
		int nfd = file_open(k, k->scn->syms[st->file].name);

		if (nfd < 0) {
			errno = -nfd;
			return broken(why, why_size, k->memfd ? "memfd_create" : "open O_TMPFILE");
		}
		if (k->fd[st->file] >= 0)
			close(k->fd[st->file]);
		k->fd[st->file] = -1;
		if (ftruncate(nfd, (off_t)args->len)) {
			out_errno(out, errno);
			close(nfd);
			break;
		}
		k->fd[st->file] = nfd;
		out->kind = SCN_RES_OK;
		break;
	}
	case SCN_OP_MMAP:
		req.op = CF_MMAP;
		req.addr = args->addr_any ? 0 : args->addr;
		req.len = args->len;
		req.prot = scn_linux_prot(st->prot);
		req.flags = scn_linux_map_flags(st->flags) | (st->file < 0 ? MAP_ANONYMOUS : 0);
		req.off = st->file >= 0 ? args->off : 0;
		if (cf_call(sock, &req, NULL, fd, &rep, NULL, NULL))
			return broken(why, why_size, "mmap request");
		out_addr(out, &rep);
		break;
	case SCN_OP_MREMAP:
		req.op = CF_MREMAP;
		req.addr = args->addr;
		req.len = args->len;
		req.len2 = args->newlen;
		req.addr2 = args->newaddr;
		req.flags = (st->flags & SCN_MREMAP_MAYMOVE ? MREMAP_MAYMOVE : 0) |
			    (st->flags & SCN_MREMAP_FIXED ? MREMAP_FIXED : 0) |
			    (st->flags & SCN_MREMAP_DONTUNMAP ? MREMAP_DONTUNMAP : 0);
		if (cf_call(sock, &req, NULL, -1, &rep, NULL, NULL))
			return broken(why, why_size, "mremap request");
		out_addr(out, &rep);
		break;
	case SCN_OP_MUNMAP:
	case SCN_OP_MPROTECT:
	case SCN_OP_MADVISE:
	case SCN_OP_PAGEOUT:
		req.op = st->op == SCN_OP_MUNMAP ? CF_MUNMAP :
			 st->op == SCN_OP_MPROTECT ? CF_MPROTECT : CF_MADVISE;
		req.addr = args->addr;
		req.len = args->len;
		req.prot = scn_linux_prot(st->prot);
		req.advice = st->op == SCN_OP_PAGEOUT ? MADV_PAGEOUT : scn_linux_advice(st->advice);
		if (cf_call(sock, &req, NULL, -1, &rep, NULL, NULL))
			return broken(why, why_size, "request");
		out_ret(out, &rep);
		break;
	case SCN_OP_READ:
	case SCN_OP_WRITE:
		do_access(sock, st, args, out, &rep, &agent_broke);
		if (agent_broke)
			return broken(why, why_size, "access request");
		break;
	case SCN_OP_PWRITE:
	case SCN_OP_PREAD: {
		enum cf_kstatus s = st->op == SCN_OP_PWRITE ?
			do_pwrite(fd, st, args, out, why, why_size) :
			do_pread(fd, args, out, why, why_size);

		if (s != CF_K_OK)
			return s;
		break;
	}
	case SCN_OP_TRUNCATE:
		if (ftruncate(fd, (off_t)args->len))
			out_errno(out, errno);
		else
			out->kind = SCN_RES_OK;
		break;
	default:
		snprintf(why, why_size, "not run on the kernel");
		return CF_K_SKIPPED;
	}
	if (st->bind >= 0) {
		k->bound[st->bind] = out->kind == SCN_RES_INT;
		k->values[st->bind] = out->kind == SCN_RES_INT ? (uint64_t)out->value : 0;
	}
	return CF_K_OK;
}

void cf_kernel_finish(struct cf_kernel *k)
{
	for (int i = 0; i < k->scn->nr_syms; i++) {
		if (k->sock[i] >= 0) {
			struct cf_req req = { .op = CF_EXIT };
			struct cf_rep rep;

			cf_call(k->sock[i], &req, NULL, -1, &rep, NULL, NULL);
			close(k->sock[i]);
			if (k->pid[i] > 0)
				waitpid(k->pid[i], NULL, 0);
		}
		if (k->fd[i] >= 0)
			close(k->fd[i]);
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)	/* orphans that have exited */
		;
	free(k->sock);
	free(k->pid);
	free(k->fd);
	free(k->values);
	free(k->bound);
	memset(k, 0, sizeof(*k));
}
