/*
 * setup_con.c - the console through Simple Text Output/Input: whatever the
 * firmware routes there (a screen, a serial terminal, both).  Line input
 * only, so a serial terminal or a script drives it as well as a keyboard.
 */
#include "setup.h"

void con_putn(const char *s, size_t n)
{
	CHAR16 out[130];
	size_t k = 0;

	for (; n; n--, s++) {
		if (*s == '\n')
			out[k++] = L'\r';
		out[k++] = (CHAR16)(unsigned char)*s;
		if (k >= 127) {
			out[k] = 0;
			uefi_call_wrapper(ST->ConOut->OutputString, 2,
					  ST->ConOut, out);
			k = 0;
		}
	}
	out[k] = 0;
	if (k)
		uefi_call_wrapper(ST->ConOut->OutputString, 2, ST->ConOut,
				  out);
}

void con_put(const char *s)
{
	con_putn(s, ps__slen(s));
}

void con_u64(uint64_t v)
{
	char t[24];
	struct sb b;

	ps__sb_init(&b, t, sizeof t);
	ps__sb_u64(&b, v);
	con_putn(t, b.len);
}

static EFI_INPUT_KEY wait_key(void)
{
	EFI_INPUT_KEY k;
	UINTN idx;

	for (;;) {
		uefi_call_wrapper(BS->WaitForEvent, 3, 1,
				  &ST->ConIn->WaitForKey, &idx);
		if (!EFI_ERROR(uefi_call_wrapper(ST->ConIn->ReadKeyStroke, 2,
						 ST->ConIn, &k)))
			return k;
	}
}

size_t con_line(const char *prompt, char *out, size_t cap)
{
	size_t n = 0;

	con_put(prompt);
	for (;;) {
		EFI_INPUT_KEY k = wait_key();
		CHAR16 c = k.UnicodeChar;

		if (c == CHAR_CARRIAGE_RETURN || c == CHAR_LINEFEED)
			break;
		if (c == CHAR_BACKSPACE) {
			if (n) {
				n--;
				con_put("\b \b");
			}
			continue;
		}
		/* Printable ASCII only: the edit layer takes ASCII text. */
		if (c < 0x20 || c > 0x7e || n + 1 >= cap)
			continue;
		out[n++] = (char)c;
		con_putn(&out[n - 1], 1);
	}
	out[n] = 0;
	con_put("\n");
	return n;
}

/* Milliseconds from the time-stamp counter, calibrated once against the
 * boot services' Stall (which the firmware times with its own timer). */
static uint64_t tsc0, tsc_per_ms = 1;

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

void clock_init(void)
{
	uint64_t a = rdtsc();

	uefi_call_wrapper(BS->Stall, 1, 10000);
	tsc_per_ms = (rdtsc() - a) / 10;
	if (!tsc_per_ms)
		tsc_per_ms = 1;
	tsc0 = a;
}

uint64_t clock_ms(void)
{
	return (rdtsc() - tsc0) / tsc_per_ms;
}
