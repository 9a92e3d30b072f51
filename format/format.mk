# format/: the PSF format library.  Included by the top-level Makefile
# before everything that links it.
#
#   libpsf.a       the freestanding core (FORMAT_CORE): no libc, no
#                  malloc, linked into BMC firmware (`make firmware`
#                  checks its size and stack from this list)
#   libpsf-tree.a  the hosted tree and its text form (FORMAT_HOST), built
#                  on the core; uses nothing outside format/

FORMAT_CORE := format/psf_ro.c format/psf_rw.c format/psf_wip.c \
               format/psf_sw.c format/psf_crc.c format/psf_strerror.c
FORMAT_HOST := format/psf_schema.c format/psf_tree.c format/psf_text_dump.c \
               format/psf_text_lex.c format/psf_text_parse.c
FORMAT_SRC  := $(FORMAT_CORE) $(FORMAT_HOST)
# For programs compiled straight from sources (fuzzers, the big-endian
# and benchmark builds), which write no .d files.
FORMAT_HDRS := $(wildcard format/*.h)

$(BUILD)/opt/libpsf.a: $(call objs,opt,$(FORMAT_CORE))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^
$(BUILD)/opt/libpsf-tree.a: $(call objs,opt,$(FORMAT_HOST))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^
$(BUILD)/san/libpsf.a: $(call objs,san,$(FORMAT_CORE))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^
$(BUILD)/san/libpsf-tree.a: $(call objs,san,$(FORMAT_HOST))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

# Big-endian host: the golden vectors through the core on s390x (qemu-user).
BE_BIN := $(BUILD)/s390x/be_vectors
$(BE_BIN): tests/be/be_vectors.c $(FORMAT_CORE) $(FORMAT_HDRS) \
		tests/unit/psf_test_util.h
	@mkdir -p $(dir $@)
	s390x-linux-gnu-gcc $(WARN) $(INC) -Itests/unit -O2 -static -o $@ \
		tests/be/be_vectors.c $(FORMAT_CORE)

be-test: $(BE_BIN)
	qemu-s390x $(BE_BIN) tests/vectors

# Two builds of bench/bench_format.c: linked with libpsf.a as built (on
# x86-64 with SSE4.2, psf_crc32c uses the crc32 instruction), and compiled
# together with the core sources with -DPSF_CRC_NO_HW (portable
# slicing-by-16 tables), so the core itself is built without the hardware
# path.  Each run prints which CRC-32C it measures.
BENCH      := $(BUILD)/opt/bench/bench_format
BENCH_NOHW := $(BUILD)/opt/bench/bench_format_nohw

$(BENCH_NOHW): bench/bench_format.c $(FORMAT_CORE) $(FORMAT_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(DEFS) -DPSF_CRC_NO_HW $(INC) $(OPT) -o $@ \
		bench/bench_format.c $(FORMAT_CORE) -lfdt
