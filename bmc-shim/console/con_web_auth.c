/*
 * con_web_auth.c - the web page's users and sessions (con_web.h): the
 * users file with crypt(3) hashes (libxcrypt), checked private at every
 * login, and cookie sessions with random tokens.  Used by the web thread
 * only.
 */
#define _GNU_SOURCE /* crypt_r */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "con_svc.h"
#include "con_web.h"

#define SESSIONS 64
#define IDLE_MAX (60 * 60)          /* a session unused for an hour ends */
#define LIFE_MAX (12 * 60 * 60)     /* and every one after twelve hours  */

static struct cw_session sess[SESSIONS];
/* Every uid ever given a session keeps its name (the list shows it). */
static struct { uint32_t uid; char name[CW_NAME_MAX + 1]; } names[SESSIONS];

/* Equal strings, in a time that does not depend on where they differ. */
static int same(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b), i;
	unsigned d = na != nb;

	for (i = 0; i < na && i < nb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return !d;
}

/* crypt_r into data; the hash of a wrong user costs the same. */
static int check_pass(const char *pass, const char *hash)
{
	struct crypt_data *cd = calloc(1, sizeof *cd);
	const char *h;
	int ok;

	if (!cd)
		return 0;
	h = crypt_r(pass, hash, cd);
	ok = h && h[0] == '$' && same(h, hash);
	free(cd);
	return ok;
}

static FILE *open_private(const char *path, const char **why)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	FILE *f;

	if (fd < 0 || fstat(fd, &st)) {
		con_log("web: users file %s: %s", path, strerror(errno));
		*why = "the service cannot read its users file";
		goto bad;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) ||
	    (st.st_uid != 0 && st.st_uid != geteuid())) {
		con_log("web: users file %s: must be a regular file of uid "
			"%u (or root) without group or other access: logins "
			"refused", path, geteuid());
		*why = "the service's users file is not private: logins are "
		       "refused";
		goto bad;
	}
	f = fdopen(fd, "r");
	if (f)
		return f;
bad:
	if (fd >= 0)
		close(fd);
	return NULL;
}

int cw_login(const char *path, const char *name, const char *pass,
	     struct cw_user *u, uint32_t *uid, const char **why)
{
	/* A valid hash to spend the same time on when the user is unknown. */
	static const char dummy[] =
		"$y$j9T$jMOQHiH7PAt4a1JMK3OMk1$Q9NcSrqBPKZPBRP0qvZAhH5j8H67Ni0ezW35nAzk7k/";
	char line[512];
	unsigned no = 0;
	int found = 0, ok = 0;
	FILE *f = open_private(path, why);

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		const char *lwhy;
		int r;

		no++;
		r = cw_user_line(line, u, &lwhy);
		if (r < 0)
			con_log("web: users file %s line %u: %s", path, no,
				lwhy);
		if (r > 0 && !strcmp(u->name, name)) {
			found = 1;
			break;
		}
	}
	fclose(f);
	ok = check_pass(pass, found ? u->hash : dummy) && found;
	if (!ok) {
		*why = "wrong user name or password";
		return -1;
	}
	*uid = CW_UID_BASE + no;
	return 0;
}

const struct cw_session *cw_session_new(const struct cw_user *u,
					uint32_t uid)
{
	uint8_t r[32];
	struct cw_session *s = &sess[0];
	long long now = (long long)time(NULL);
	size_t i, k;

	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		return NULL;
	for (i = 0; i < SESSIONS; i++) {
		if (!sess[i].token[0]) {
			s = &sess[i];
			break;
		}
		if (sess[i].used < s->used)
			s = &sess[i];
	}
	for (i = 0; i < sizeof r; i++)
		snprintf(s->token + 2 * i, 3, "%02x", r[i]);
	snprintf(s->name, sizeof s->name, "%s", u->name);
	s->role = u->role;
	s->uid = uid;
	s->created = s->used = now;
	k = (uid - CW_UID_BASE) % SESSIONS;
	names[k].uid = uid;
	snprintf(names[k].name, sizeof names[k].name, "%s", u->name);
	return s;
}

const struct cw_session *cw_session_find(const char *token)
{
	long long now = (long long)time(NULL);
	size_t i;

	if (strlen(token) != 64)
		return NULL;
	for (i = 0; i < SESSIONS; i++) {
		struct cw_session *s = &sess[i];

		if (!s->token[0] || !same(s->token, token))
			continue;
		if (now - s->used > IDLE_MAX || now - s->created > LIFE_MAX) {
			memset(s, 0, sizeof *s);
			return NULL;
		}
		s->used = now;
		return s;
	}
	return NULL;
}

void cw_session_end(const char *token)
{
	size_t i;

	for (i = 0; i < SESSIONS; i++)
		if (sess[i].token[0] && same(sess[i].token, token))
			memset(&sess[i], 0, sizeof sess[i]);
}

const char *cw_uid_name(uint32_t uid)
{
	size_t k = (uid - CW_UID_BASE) % SESSIONS;

	return uid >= CW_UID_BASE && names[k].uid == uid ? names[k].name
							 : NULL;
}

int cw_hash_password(void)
{
	char pass[CW_PASS_MAX + 2], salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd = calloc(1, sizeof *cd);
	const char *h = NULL;
	size_t n;

	if (cd && fgets(pass, sizeof pass, stdin)) {
		n = strcspn(pass, "\n");
		pass[n] = 0;
		if (n && n <= CW_PASS_MAX &&
		    crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof salt))
			h = crypt_r(pass, salt, cd);
	}
	if (!h || h[0] != '$') {
		fprintf(stderr, "pscon: --hash-password: a password of "
			"1-%u bytes on one line of stdin\n", CW_PASS_MAX);
		free(cd);
		return 2;
	}
	printf("%s\n", h);
	free(cd);
	return 0;
}
