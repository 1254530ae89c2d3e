/* seccomp.c: compiles each sandbox profile's system-call filter (syscalls.def) to the BPF program bubblewrap's --seccomp loads. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/shm.h>
#include <unistd.h>

#include <seccomp.h>

#include "stages.h"

/* Numbers at or above this are no system call on any architecture we build for (x86_64's
 * table ends below 512; above it start x32's numbers, which the filter's architecture check
 * refuses). Calls between the last number libseccomp can name and this one are newer than
 * the table was written against: ENOSYS, as from an older kernel, makes libraries fall back. */
#define SC_NR_END 512

/* Which calls of a row's system call are refused (the `when` column). */
enum when { WHEN_ALWAYS, WHEN_WRITE_EXEC, WHEN_ANON_EXEC, WHEN_EXEC, WHEN_NEW_NAMESPACE, WHEN_PERSONA, WHEN_SHM_EXEC };

/* A row's verdict for one profile: SC_A allowed, SC_D EPERM, SC_N ENOSYS. */
enum verdict { SC_A, SC_D, SC_N };

static const struct row {
	const char *call;
	enum when when;
	enum verdict verdict[TL_SB_COUNT];
	const char *why;
} rows[] = {
#define X(call, when, build, tsan, helgrind, threadcheck, test, why)                                       \
	{#call, WHEN_##when,                                                                                     \
	 {[TL_SB_BUILD] = SC_##build, [TL_SB_TSAN] = SC_##tsan, [TL_SB_HELGRIND] = SC_##helgrind,          \
	  [TL_SB_THREADCHECK] = SC_##threadcheck, [TL_SB_TEST] = SC_##test},                                \
	 why},
#include "syscalls.def"
#undef X
};

static const char *const profile_names[TL_SB_COUNT] = {
	[TL_SB_BUILD] = "build", [TL_SB_TSAN] = "tsan", [TL_SB_HELGRIND] = "helgrind",
	[TL_SB_THREADCHECK] = "threadcheck", [TL_SB_TEST] = "test",
};

const char *tl_sb_profile_name(enum tl_sb_profile p)
{
	TL_ASSERT(p >= 0 && p < TL_SB_COUNT);
	return profile_names[p];
}

/* The one persona that stays allowed: setarch -R's (Linux, no address randomisation). */
#define PERSONA_NORANDOM ((scmp_datum_t)(PER_LINUX | ADDR_NO_RANDOMIZE))

/* Adds the rules that refuse NR with ACTION for the calls WHEN describes. Returns 0 or a
 * negative errno from libseccomp. Comparisons are on whole 64-bit registers: a value with
 * stray high bits fails an equality and so is refused, never let through. */
static int add_when(scmp_filter_ctx ctx, uint32_t action, int nr, enum when when)
{
	static const scmp_datum_t namespaces[] = {CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
						  CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP};
	const scmp_datum_t wx = PROT_WRITE | PROT_EXEC;
	int rc = 0;
	switch (when) {
	case WHEN_ALWAYS:
		return seccomp_rule_add(ctx, action, nr, 0);
	case WHEN_WRITE_EXEC: /* mmap, mprotect and pkey_mprotect all take prot third */
		return seccomp_rule_add(ctx, action, nr, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, wx, wx));
	case WHEN_ANON_EXEC:
		return seccomp_rule_add(ctx, action, nr, 2, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC),
					SCMP_A3(SCMP_CMP_MASKED_EQ, MAP_ANONYMOUS, MAP_ANONYMOUS));
	case WHEN_EXEC:
		return seccomp_rule_add(ctx, action, nr, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC));
	case WHEN_NEW_NAMESPACE:
		for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0] && rc == 0; i++)
			rc = seccomp_rule_add(ctx, action, nr, 1,
					      SCMP_A0(SCMP_CMP_MASKED_EQ, namespaces[i], namespaces[i]));
		return rc;
	case WHEN_PERSONA: /* everything below and above the one allowed value */
		rc = seccomp_rule_add(ctx, action, nr, 1, SCMP_A0(SCMP_CMP_LT, PERSONA_NORANDOM, 0));
		if (rc == 0)
			rc = seccomp_rule_add(ctx, action, nr, 1, SCMP_A0(SCMP_CMP_GT, PERSONA_NORANDOM, 0));
		return rc;
	case WHEN_SHM_EXEC:
		return seccomp_rule_add(ctx, action, nr, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, SHM_EXEC, SHM_EXEC));
	}
	TL_ASSERT(!"no such condition");
	return -EINVAL;
}

/* Adds profile P's rows to CTX. Returns 0, or -1 with ERR naming the row. */
static int add_rows(scmp_filter_ctx ctx, enum tl_sb_profile p, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct row *r = &rows[i];
		int nr = seccomp_syscall_resolve_name(r->call);
		if (nr == __NR_SCMP_ERROR) {
			snprintf(err, errlen, "syscalls.def: libseccomp knows no system call '%s'", r->call);
			return -1;
		}
		uint32_t action = 0;
		switch (r->verdict[p]) {
		case SC_A:
			continue;
		case SC_D:
			action = SCMP_ACT_ERRNO(EPERM);
			break;
		case SC_N:
			action = SCMP_ACT_ERRNO(ENOSYS);
			break;
		}
		int rc = add_when(ctx, action, nr, r->when);
		if (rc != 0) {
			snprintf(err, errlen, "syscalls.def: cannot add the rule for %s: %s", r->call, strerror(-rc));
			return -1;
		}
	}
	return 0;
}

/* Adds ENOSYS for every number above the last one libseccomp can name. Returns 0 or -1. */
static int add_unnamed(scmp_filter_ctx ctx, char *err, size_t errlen)
{
	int last = -1;
	for (int nr = 0; nr < SC_NR_END; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		if (name != NULL)
			last = nr;
		free(name);
	}
	for (int nr = last + 1; nr < SC_NR_END; nr++) {
		int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
		if (rc != 0) {
			snprintf(err, errlen, "cannot refuse system call %d: %s", nr, strerror(-rc));
			return -1;
		}
	}
	return 0;
}

/* Writes CTX's BPF program into a malloc'd buffer. Returns 0 or -1 with ERR. */
static int export_bpf(scmp_filter_ctx ctx, unsigned char **bpf, size_t *len, char *err, size_t errlen)
{
	int fd = memfd_create("threadlab-seccomp", MFD_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "memfd_create: %s", strerror(errno));
		return -1;
	}
	int rc = -1;
	int erc = seccomp_export_bpf(ctx, fd);
	off_t size = lseek(fd, 0, SEEK_END);
	if (erc != 0 || size <= 0 || size % 8 != 0) {
		snprintf(err, errlen, "libseccomp could not export the filter: %s", strerror(erc ? -erc : EINVAL));
		goto out;
	}
	*bpf = malloc((size_t)size);
	TL_ASSERT(*bpf != NULL);
	if (pread(fd, *bpf, (size_t)size, 0) != size) {
		snprintf(err, errlen, "reading the exported filter back: %s", strerror(errno));
		free(*bpf);
		*bpf = NULL;
		goto out;
	}
	*len = (size_t)size;
	rc = 0;
out:
	close(fd);
	return rc;
}

int tl_seccomp_compile(enum tl_sb_profile p, unsigned char **bpf, size_t *len, char *err, size_t errlen)
{
	*bpf = NULL;
	*len = 0;
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (ctx == NULL) {
		snprintf(err, errlen, "libseccomp cannot make a filter (seccomp_init failed)");
		return -1;
	}
	int rc = -1;
	/* Another architecture's calls (int 0x80 from a 64-bit program) would get around every
	 * rule: such a process is killed. A binary-tree filter keeps each call's cost low. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) != 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) != 0) {
		snprintf(err, errlen, "libseccomp refused the filter's attributes");
		goto out;
	}
	if (add_rows(ctx, p, err, errlen) != 0 || add_unnamed(ctx, err, errlen) != 0)
		goto out;
	rc = export_bpf(ctx, bpf, len, err, errlen);
out:
	seccomp_release(ctx);
	return rc;
}
