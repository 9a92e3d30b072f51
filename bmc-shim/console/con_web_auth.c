/*
 * con_web_auth.c - the web page's users and sessions (con_web.h): the
 * users file with crypt(3) hashes (libxcrypt), checked private at every
 * login, and cookie sessions with random tokens.  Used by the web thread
 * only.  The sessions are kept in the run directory (web-sessions, 0600,
 * the tokens' SHA-256 only), so a restart of the service keeps every
 * login and the page's consoles reconnect by themselves.
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
#include "ps_sha256.h"

#define SESSIONS 64
#define IDLE_MAX (60 * 60)          /* a session unused for an hour ends */
#define LIFE_MAX (12 * 60 * 60)     /* and every one after twelve hours  */
#define USED_SAVE 60                /* last use kept to the minute       */
#define SESS_FILE "web-sessions"

static struct cw_session sess[SESSIONS];
/* Every uid ever given a session keeps its name (the list shows it). */
static struct { uint32_t uid; char name[CW_NAME_MAX + 1]; } names[SESSIONS];

static int sess_dir = -1;           /* the run directory (O_PATH)        */

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

/* The token's SHA-256 in hex: what the table and its file hold. */
static void token_hash(const char *token, char out[65])
{
	struct ps_sha256 c;
	uint8_t d[PS_SHA256_LEN];
	size_t i;

	ps_sha256_init(&c);
	ps_sha256_update(&c, token, strlen(token));
	ps_sha256_final(&c, d);
	for (i = 0; i < sizeof d; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void name_of(uint32_t uid, const char *name)
{
	size_t k = (uid - CW_UID_BASE) % SESSIONS;

	names[k].uid = uid;
	snprintf(names[k].name, sizeof names[k].name, "%s", name);
}

/* The table into the run directory's file, whole (a new file renamed
 * over the old one); a failure is logged and the sessions live on in
 * memory (a restart then ends them). */
static void sessions_save(void)
{
	char line[256];
	size_t i;
	int fd, bad = 0;

	if (sess_dir < 0)
		return;
	fd = openat(sess_dir, SESS_FILE ".new", O_WRONLY | O_CREAT | O_TRUNC |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
	for (i = 0; fd >= 0 && i < SESSIONS; i++) {
		const struct cw_session *s = &sess[i];
		int n;

		if (!s->hash[0])
			continue;
		n = snprintf(line, sizeof line, "%s %u %d %lld %lld %s\n",
			     s->hash, s->uid, s->role, s->created, s->saved,
			     s->name);
		bad |= write(fd, line, (size_t)n) != n;
	}
	if (fd < 0 || bad || close(fd) ||
	    renameat(sess_dir, SESS_FILE ".new", sess_dir, SESS_FILE))
		con_log("web: cannot keep the login sessions in %s: %s",
			SESS_FILE, strerror(errno));
}

void cw_sessions_load(int dir)
{
	char line[256], hash[65], name[CW_NAME_MAX + 1];
	struct cw_session *s;
	unsigned uid, n = 0;
	long long c, u;
	int fd, role;
	FILE *f;

	sess_dir = dir;
	fd = openat(dir, SESS_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while (n < SESSIONS && fgets(line, sizeof line, f))
		if (sscanf(line, "%64s %u %d %lld %lld %32s", hash, &uid,
			   &role, &c, &u, name) == 6 && strlen(hash) == 64 &&
		    uid >= CW_UID_BASE) {
			s = &sess[n++];
			memcpy(s->hash, hash, sizeof s->hash);
			snprintf(s->name, sizeof s->name, "%s", name);
			s->role = role == CON_ROLE_ADMIN ? CON_ROLE_ADMIN
							 : CON_ROLE_OPERATOR;
			s->uid = uid;
			s->created = c;
			s->used = s->saved = u;
			name_of(uid, name);
		}
	fclose(f);
	con_log("web: %u login session%s kept", n, n == 1 ? "" : "s");
}

const struct cw_session *cw_session_new(const struct cw_user *u,
					uint32_t uid)
{
	uint8_t r[32];
	struct cw_session *s = &sess[0];
	long long now = (long long)time(NULL);
	size_t i;

	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		return NULL;
	for (i = 0; i < SESSIONS; i++) {
		if (!sess[i].hash[0]) {
			s = &sess[i];
			break;
		}
		if (sess[i].used < s->used)
			s = &sess[i];
	}
	for (i = 0; i < sizeof r; i++)
		snprintf(s->token + 2 * i, 3, "%02x", r[i]);
	token_hash(s->token, s->hash);
	snprintf(s->name, sizeof s->name, "%s", u->name);
	s->role = u->role;
	s->uid = uid;
	s->created = s->used = s->saved = now;
	name_of(uid, u->name);
	sessions_save();
	return s;
}

const struct cw_session *cw_session_find(const char *token)
{
	long long now = (long long)time(NULL);
	char h[65];
	size_t i;

	if (strlen(token) != 64)
		return NULL;
	token_hash(token, h);
	for (i = 0; i < SESSIONS; i++) {
		struct cw_session *s = &sess[i];

		if (!s->hash[0] || !same(s->hash, h))
			continue;
		if (now - s->used > IDLE_MAX || now - s->created > LIFE_MAX) {
			memset(s, 0, sizeof *s);
			sessions_save();
			return NULL;
		}
		s->used = now;
		if (now - s->saved >= USED_SAVE) {
			s->saved = now;
			sessions_save();
		}
		return s;
	}
	return NULL;
}

void cw_session_end(const char *token)
{
	char h[65];
	size_t i;

	token_hash(token, h);
	for (i = 0; i < SESSIONS; i++)
		if (sess[i].hash[0] && same(sess[i].hash, h)) {
			memset(&sess[i], 0, sizeof sess[i]);
			sessions_save();
		}
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
