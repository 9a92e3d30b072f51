# psftool check on every golden vector: the verdict, the error text and the
# offset match tests/vectors/MANIFEST; valid stores dump and compile back to
# the same bytes.
echo "psftool on the golden vectors"

# The reason psftool must give for each error class (psf_strerror).
reason_for() {
    case $1 in
    TRUNCATED)  echo "buffer shorter than the store's length" ;;
    BADMAGIC)   echo "not a pstate store (bad magic)" ;;
    BADVERSION) echo "unsupported format major version" ;;
    BADHEADER)  echo "invalid header size or length field" ;;
    HEADERCRC)  echo "header checksum mismatch" ;;
    BODYCRC)    echo "body checksum mismatch" ;;
    BADFLAGS)   echo "unknown must-understand flag set" ;;
    TOOLARGE)   echo "store larger than the format allows" ;;
    BADROOT)    echo "body is not exactly one root container" ;;
    OVERRUN)    echo "element extends past its parent" ;;
    BADCOUNT)   echo "container child count disagrees with its size" ;;
    TOODEEP)    echo "elements nested too deeply" ;;
    *)          echo "UNKNOWN ERROR CLASS $1" ;;
    esac
}
while read -r name verdict err off; do
    case $name in ''|'#'*) continue ;; esac
    bin=$ROOT/tests/vectors/$name.bin
    if [ "$verdict" = valid ]; then
        expect_exit 0 "check $name" -- "$PSFTOOL" check "$bin"
        "$PSFTOOL" dump "$bin" -o "$WORK/$name.txt" &&
            "$PSFTOOL" compile "$WORK/$name.txt" -o "$WORK/$name.img"
        total=$(wc -c < "$WORK/$name.img")
        if head -c "$total" "$bin" | cmp -s - "$WORK/$name.img"; then
            pass "round trip $name ($total bytes)"
        else
            fail "round trip $name: compile(dump) differs from the store"
        fi
    else
        expect_exit 1 "check $name" -- "$PSFTOOL" check "$bin"
        expect_err "offset $name" "at offset $off "
        expect_err "reason $name" "$(reason_for "$err")"
    fi
done < "$ROOT/tests/vectors/MANIFEST"
