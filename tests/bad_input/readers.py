"""Each task's reader: the files of training (--data, --valid), of eval --data, predict
--input and transcribe, refused with the file (and for text formats the line) named, and
``Task.load`` in Python."""

from .kinds import Api, Cli, Sub

EMPTY = "a file with some text, got '{bad}/empty.txt', which is empty"
LATIN1 = ("a UTF-8 text file, got '{bad}/latin1.txt' with byte 0xe9 at offset 3 that is not "
          "UTF-8 (convert it, e.g. iconv -t UTF-8)")
TC = "train --task classify --data"
TT = "train --task tag --data"
TF = "train --task forecast --window 12 --data"
TM = "train --task music --data"
TR = "train --task translate --data"
TD = "train --task digits --data"
TP = "train --task caption --data"
CSV = "a CSV file with a header row"
TV = "train --task frames --data"

CASES = [
    # frames: clips folders and MNIST's IDX files
    Cli(f"{TV} {{bad}}/missing", "data: expected a folder of clips (labels.csv) or of "
        "MNIST's IDX files, got '{bad}/missing' (no such folder)"),
    Cli(f"{TV} {{bad}}/clips-no-csv", "data: expected a folder of clips with labels.csv, or "
        "an MNIST folder, got '{bad}/clips-no-csv'"),
    Cli(f"{TV} {{bad}}/clips-no-header", "data: expected labels.csv with a header naming the "
        "columns clip and label"),
    Cli(f"{TV} {{bad}}/clips-missing", "clip: expected a .npy or .npz file or a folder of PNG "
        "frames, got '{bad}/clips-missing/b.npy' (no such file)"),
    Cli(f"{TV} {{bad}}/clips-shape", "clip: expected frames of shape (T, H, W) or (T, H, W, "
        "C) with C <= 4, got shape (5,) in '{bad}/clips-shape/a.npy'"),
    Cli(f"{TV} {{bad}}/clips-pickle", "clip: expected a readable .npy or .npz array (no "
        "pickled objects)"),
    Cli(f"{TV} {{bad}}/clips-frame-labels", "frame_labels: expected one label per frame (3), "
        "got 2 in {bad}/clips-frame-labels/labels.csv:2"),
    Cli(f"{TV} {{bad}}/clips-sizes", "data: expected clips whose frames all have one shape "
        "(C, H, W), got shapes [(1, 4, 4), (1, 5, 5)]"),
    Cli(f"{TV} {{bad}}/clips-no-frame-labels --target frame", "target: expected clip for "
        "clips without a label per frame"),
    Cli(f"{TV} {{bad}}/clips-npz-two", "clip: expected an .npz holding one array or one "
        "named frames, got '{bad}/clips-npz-two/a.npz' with ['a', 'b']"),
    Cli(f"{TV} {{bad}}/clips-text", "clip: expected numbers (uint8 0..255, or floats), got "
        "dtype <U1 in '{bad}/clips-text/a.npy'"),
    Cli(f"{TV} {{bad}}/clips-nan", "clip: expected finite pixel values, got NaN or infinity "
        "in '{bad}/clips-nan/a.npy'"),
    Cli(f"{TV} {{bad}}/clips-not-png", "clip: expected PNG images, got "
        "'{bad}/clips-not-png/a/0.png'"),
    Cli(f"{TV} {{bad}}/clips-no-png", "clip: expected a folder of PNG frames, got "
        "'{bad}/clips-no-png/a' with none"),
    Cli(f"{TV} {{bad}}/clips-no-label", "label: expected a label for every clip, got none in "
        "{bad}/clips-no-label/labels.csv:2"),
    Cli(f"{TV} {{bad}}/clips-one-label --valid-fraction 0", "data: expected at least 2 "
        "different labels, got ['1']"),
    Cli(f"{TV} {{bad}}/mnist-gzip", "data: expected a readable gzipped IDX file, got "
        "'{bad}/mnist-gzip/train-images-idx3-ubyte.gz'"),
    Cli(f"{TV} {{bad}}/mnist-no-labels", "data: expected an MNIST folder holding "
        "train-labels-idx1-ubyte.gz or train-labels-idx1-ubyte, got '{bad}/mnist-no-labels'"),
    Cli(f"{TV} {{bad}}/mnist-corrupt", "data: expected an IDX file of unsigned bytes (it "
        "starts 00 00 08), got '{bad}/mnist-corrupt/train-images-idx3-ubyte' starting 00 00 "
        "0d 03"),
    # lm: text files
    Cli("train --data {bad}/latin1.txt", f"data: expected {LATIN1}"),
    Cli("train --data {bad}/empty.txt", f"data: expected {EMPTY}"),
    Cli("train --data {bad}/blank.txt", "data: expected a file with some text, got "
        "'{bad}/blank.txt', which is empty"),
    Cli("train --data {bad}/wavs-empty", "data: expected an existing file, got "
        "'{bad}/wavs-empty'"),
    Cli("eval {runs}/lm --data {bad}/one-char.txt", "data: expected at least 2 tokens to "
        "evaluate, got 1"),
    Cli("eval {runs}/lm --data {bad}/latin1.txt", f"data: expected {LATIN1}"),
    Cli("eval {runs}/lm-word --data {bad}/empty.txt", f"data: expected {EMPTY}"),
    Api('fresh("lm").load("{bad}/latin1.txt")', f"data: expected {LATIN1}"),
    Api('fresh("lm").load("{bad}/missing.txt")', "data: expected an existing file, got "
        "'{bad}/missing.txt'"),
    # classify: TSV and CSV rows
    Cli(f"{TC} {{bad}}/no-label.tsv", "data: expected a row with a text and a non-empty "
        "label, got 1 field(s) at {bad}/no-label.tsv:3"),
    Cli(f"{TC} {{bad}}/empty-label.tsv", "data: expected a row with a text and a non-empty "
        "label, got 2 field(s) at {bad}/empty-label.tsv:2"),
    Cli(f"{TC} {{bad}}/empty-text.tsv", "data: expected a row with a non-empty text, got an "
        "empty text at {bad}/empty-text.tsv:2"),
    Cli(f"{TC} {{bad}}/carriage-return.tsv", "data: expected rows of delimited fields, got a "
        "line break (CR) inside an unquoted field at {bad}/carriage-return.tsv:1",
        fixed="a csv.Error traceback ('new-line character seen in unquoted field'), found "
              "by benchmarks/fuzz.py"),
    Cli(f"{TC} {{bad}}/header-only.tsv", "data: expected rows after the header, got "
        "'{bad}/header-only.tsv' with only a header"),
    Cli(f"{TC} {{bad}}/one-label.tsv", "data: expected at least 2 different labels to "
        "classify, got ['1']"),
    Cli(f"{TC} {{bad}}/empty.txt", f"data: expected {EMPTY}"),
    Cli(f"{TC} {{bad}}/latin1.txt", f"data: expected {LATIN1}"),
    Cli(f"{TC} {{bad}}/missing.tsv", "data: expected an existing file, got "
        "'{bad}/missing.tsv'"),
    Cli(f"{TC} {{data}}/classify.tsv --text-column review", "text_column: expected a column "
        "index or a header name of 'tests/fixtures/v0/data/classify.tsv' (['sentence', "
        "'label']), got 'review'"),
    Cli(f"{TC} {{data}}/classify.tsv --label-column 5", "data: expected a row with a text and "
        "a non-empty label, got 2 field(s) at tests/fixtures/v0/data/classify.tsv:2"),
    Cli(f"{TC} {{data}}/classify.tsv --text-column 1 --label-column 1", "data: expected a row "
        "with a text and a non-empty label"),
    Cli(f"{TC} {{data}}/classify.tsv --valid {{bad}}/no-label.tsv", "data: expected a row with "
        "a text and a non-empty label, got 1 field(s) at {bad}/no-label.tsv:3"),
    Cli(f"{TC} {{bad}}/three-columns.tsv --header yes --text-column text", "text_column: "
        "expected a column index or a header name of '{bad}/three-columns.tsv' (['a', 'b', "
        "'c']), got 'text'"),
    Cli("eval {runs}/classify --data {bad}/new-label.tsv", "data: expected labels the model "
        "knows (0, 1), got 'maybe' at {bad}/new-label.tsv:1"),
    Cli("eval {runs}/classify --data {bad}/no-label.tsv", "data: expected a row with a text "
        "and a non-empty label, got 1 field(s) at {bad}/no-label.tsv:3"),
    Cli("predict {runs}/classify --input {bad}/empty.txt", f"input: expected {EMPTY}"),
    Cli("predict {runs}/classify --input {bad}/empty-text.tsv", "data: expected a row with a "
        "non-empty text, got an empty text at {bad}/empty-text.tsv:2"),
    Api('fresh("classify").load("{bad}/header-only.tsv")', "data: expected rows after the "
        "header, got '{bad}/header-only.tsv' with only a header"),
    Api('fresh("classify").load(None)', "data: expected a file (--data FILE) for the classify "
        "task, got none"),
    # tag: CoNLL-U
    Cli(f"{TT} {{bad}}/no-tag.conllu", "data: expected a UPOS tag, got '_' at "
        "{bad}/no-tag.conllu:3", fixed="'_' in the UPOS column was learned as a tag named _; "
        "now the FILE:LINE error for a missing tag"),
    Cli(f"{TT} {{bad}}/nine-columns.conllu", "data: expected a CoNLL-U line of 10 "
        "tab-separated columns, got 9 at {bad}/nine-columns.conllu:1"),
    Cli(f"{TT} {{bad}}/bad-id.conllu", "data: expected a valid CoNLL-U line, got"),
    Cli(f"{TT} {{bad}}/comments.conllu", "data: expected a CoNLL-U file with some sentences, "
        "got '{bad}/comments.conllu', which has none"),
    Cli(f"{TT} {{bad}}/one-tag.conllu", "data: expected at least 2 different tags, got "
        "['NOUN']"),
    Cli(f"{TT} {{data}}/classify.tsv", "data: expected a CoNLL-U line of 10 tab-separated "
        "columns, got 2 at tests/fixtures/v0/data/classify.tsv:1"),
    Cli(f"{TT} {{bad}}/empty.txt", f"data: expected {EMPTY}"),
    Cli(f"{TT} {{data}}/tag.conllu --tag-field xpos", "data: expected a XPOS tag, got '_' at "
        "tests/fixtures/v0/data/tag.conllu:3"),
    Cli("eval {runs}/tag --data {bad}/new-tag.conllu", "data: expected labels the model knows "
        "(ADJ, ADV, DET, NOUN, PUNCT, VERB), got 'XYZ' at "
        "{bad}/new-tag.conllu:2"),
    Cli("eval {runs}/tag --data {bad}/no-tag.conllu", "data: expected a UPOS tag, got '_' at "
        "{bad}/no-tag.conllu:3",
        fixed="'_' was read as a tag the model does not know"),
    Cli("predict {runs}/tag --input {bad}/nine-columns.conllu", "data: expected a CoNLL-U "
        "line of 10 tab-separated columns, got 9 at {bad}/nine-columns.conllu:1"),
    Api('fresh("tag").load("{bad}/no-tag.conllu")', "data: expected a UPOS tag, got '_' at "
        "{bad}/no-tag.conllu:3",
        fixed="'_' was read as a tag named _"),
    # forecast: CSV series
    Cli(f"{TF} {{bad}}/inf.csv", "column: expected finite numbers in column 'value', got inf "
        "on line 42", fixed="an infinite value passed the reader and training stopped at "
        "a NaN loss, after the run folder was made; now the reader refuses it, naming the "
        "line"),
    Sub(f"{TF} {{bad}}/inf.csv", "column: expected finite numbers in column 'value', got inf "
        "on line 42"),
    Cli(f"{TF} {{bad}}/huge.csv", "column: expected finite numbers in column 'value', got "
        "inf on line 42",
        fixed='accepted: read as infinity, which reached training'),
    Cli(f"{TF} {{bad}}/text-value.csv --column value", "column: expected numbers in column "
        "'value', got "
        "'abc' on line 4 (1 such values)"),
    Cli(f"{TF} {{bad}}/gap.csv --column value", "data: expected no missing values in column "
        "'value' (or --missing interpolate), got 1 missing, the first at time step 1"),
    Cli(f"{TF} {{bad}}/all-missing.csv --column value", "column: expected values in column "
        "'value', got none"),
    Cli(f"{TF} {{bad}}/two-numeric.csv", "column: expected a column name (--column NAME) "
        "among ['a', 'b'], got 2 numeric columns to choose from"),
    Cli(f"{TF} {{bad}}/two-numeric.csv --column c", "column: expected one of the CSV's "
        "columns ['a', 'b'], got 'c'"),
    Cli(f"{TF} {{bad}}/empty.csv", f"data: expected {CSV}, got '{{bad}}/empty.csv'"),
    Cli(f"{TF} {{bad}}/header-only.csv", "data: expected a CSV file with rows of values, got "
        "'{bad}/header-only.csv' with none"),
    Cli(f"{TF} {{bad}}/short.csv", "window: expected window + horizon <= the 5 training "
        "values (the series has 5 values; use a shorter --window), got 12 + 1"),
    Cli(f"{TF} {{data}}/series.csv --valid {{bad}}/short.csv", "valid: expected a series of "
        "at least window + horizon = 12 + 1 values, got '{bad}/short.csv': 5 values",
        fixed="accepted: --valid was ignored (the run validated on a part of --data); now it is the held-out series"),
    Cli(f"{TF} {{data}}/series.csv --valid {{bad}}/missing.csv", "valid: expected an existing "
        "CSV file, got '{bad}/missing.csv'",
        fixed="accepted: --valid was ignored (the run validated on a part of --data); now it is the held-out series"),
    Cli(f"{TF} {{bad}}/dup-times.csv --time-column t", "time_column: expected distinct "
        "times, got 1 twice (line 3)"),
    Cli(f"{TF} {{bad}}/bad-times.csv --time-column t", "time_column: expected numbers or "
        "dates in column 't', got 'soon' on line 3"),
    Cli(f"{TF} {{data}}/series.csv --time-column when", "time_column: expected one of the "
        "CSV's columns ['value'], got 'when'"),
    Cli(f"{TF} {{bad}}/missing.csv", "data: expected an existing CSV file, got "
        "'{bad}/missing.csv'"),
    Cli(f"{TF} {{bad}}/latin1.txt", f"data: expected {CSV}"),
    Cli("eval {runs}/forecast --data {bad}/inf.csv", "column: expected finite numbers in "
        "column 'value', got inf on line 42",
        fixed='accepted: scored with an infinite value'),
    Cli("eval {runs}/forecast --data {bad}/short.csv", "window: expected window + horizon"),
    Api('fresh("forecast", column="value").load("{bad}/text-value.csv")',
        "column: expected numbers in column "
        "'value', got 'abc' on line 4 (1 such values)"),
    # music: JSON pieces
    Cli(f"{TM} {{bad}}/music-object.json", "data: expected a non-empty JSON list of pieces, "
        "got dict in '{bad}/music-object.json'"),
    Cli(f"{TM} {{bad}}/music-empty.json", "data: expected a non-empty JSON list of pieces, "
        "got list in '{bad}/music-empty.json'"),
    Cli(f"{TM} {{bad}}/music-short.json", "data: expected pieces of at least 2 time steps "
        "(lists of pitch lists), got [[60]] at music-short.json piece 0"),
    Cli(f"{TM} {{bad}}/music-pitch.json", "data: expected MIDI pitches 21..108 (the piano), "
        "got 200 at music-pitch.json piece 0 step 1"),
    Cli(f"{TM} {{bad}}/music-float.json", "data: expected MIDI pitches 21..108 (the piano), "
        "got 60.5 at music-float.json piece 0 step 0"),
    Cli(f"{TM} {{bad}}/music-bool.json", "data: expected MIDI pitches 21..108 (the piano), "
        "got True at music-bool.json piece 0 step 0"),
    Cli(f"{TM} {{bad}}/music-step.json", "data: expected a list of MIDI pitches at every "
        "step, got 60 at music-step.json piece 0 step 0"),
    Cli(f"{TM} {{bad}}/music-broken.json", "data: expected a UTF-8 JSON file, got "
        "'{bad}/music-broken.json': JSONDecodeError"),
    Cli(f"{TM} {{bad}}/missing.json", "data: expected an existing JSON file of pieces, got "
        "'{bad}/missing.json'"),
    Cli(f"{TM} {{data}}/music.json --valid {{bad}}/music-pitch.json", "valid: expected MIDI "
        "pitches 21..108 (the piano), got 200 at music-pitch.json piece 0 step 1"),
    Cli("eval {runs}/music --data {bad}/music-pitch.json", "data: expected MIDI pitches "
        "21..108 (the piano), got 200 at music-pitch.json piece 0 step 1"),
    Api('fresh("music").load("{bad}/music-short.json")', "data: expected pieces of at least "
        "2 time steps"),
    # translate: sentence pairs
    Cli(f"{TR} {{bad}}/no-tab.tsv", "data: expected source<TAB>target on every line, got a "
        "line without a tab at {bad}/no-tab.tsv:2"),
    Cli(f"{TR} {{bad}}/empty-target.tsv", "data: expected a non-empty source and target on "
        "every line, got an empty target at {bad}/empty-target.tsv:2"),
    Cli(f"{TR} {{bad}}/empty-source.tsv", "data: expected a non-empty source and target on "
        "every line, got an empty source at {bad}/empty-source.tsv:2"),
    Cli(f"{TR} {{bad}}/empty.txt", f"data: expected {EMPTY}"),
    Cli(f"{TR} {{data}}/pairs.tsv --valid {{bad}}/no-tab.tsv", "data: expected "
        "source<TAB>target on every line, got a line without a tab at {bad}/no-tab.tsv:2"),
    Cli("eval {runs}/translate --data {bad}/empty-target.tsv", "data: expected a non-empty "
        "source and target on every line, got an empty target at "
        "{bad}/empty-target.tsv:2"),
    Cli("translate {runs}/translate --input {bad}/empty.txt", f"input: expected {EMPTY}"),
    Api('fresh("translate").load("{bad}/no-tab.tsv")', "data: expected source<TAB>target on "
        "every line, got a line without a tab at {bad}/no-tab.tsv:2"),
    # caption: folders of images with captions.tsv, MNIST's IDX files, image files
    Cli(f"{TP} {{bad}}/captions-no-tab", "data: expected image<TAB>caption on every line, got "
        "a line without a tab at {bad}/captions-no-tab/captions.tsv:1"),
    Cli(f"{TP} {{bad}}/captions-missing", "data: expected image files beside captions.tsv, "
        "got no 'b.png' ({bad}/captions-missing/captions.tsv:2)"),
    Cli(f"{TP} {{bad}}/captions-corrupt", "data: expected an image file Pillow reads (PNG, "
        "JPEG, ...), got '{bad}/captions-corrupt/a.png' (UnidentifiedImageError)"),
    Cli(f"{TP} {{bad}}/captions-empty", "data: expected a file with some text, got "
        "'{bad}/captions-empty/captions.tsv', which is empty"),
    Cli(f"{TP} {{bad}}/mnist-not-gzip", "data: expected an IDX file of unsigned bytes (it "
        "starts 00 00 08), got '{bad}/mnist-not-gzip/train-images-idx3-ubyte.gz' starting 6e "
        "6f 74 20"),
    Cli(f"{TP} {{data}}/pairs.tsv", "data: expected a folder of images with captions.tsv, or "
        "one holding MNIST's train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz, got "
        "'tests/fixtures/v0/data/pairs.tsv'"),
    Cli("train --task caption --examples 4 --valid-examples 2 --valid {bad}/captions-no-tab",
        "valid: expected image<TAB>caption on every line, got a line without a tab at "
        "{bad}/captions-no-tab/captions.tsv:1"),
    Api('fresh("caption").load(None)', "data: expected a folder of images with captions.tsv "
        "(or MNIST's IDX files), got none"),
    Api('fresh("caption").predict([], ["{bad}/captions-corrupt/a.png"])', "image: expected an "
        "image file Pillow reads (PNG, JPEG, ...), got '{bad}/captions-corrupt/a.png' "
        "(UnidentifiedImageError)"),
    Api('fresh("caption").predict([], ["{bad}/missing.png"])', "image: expected an existing "
        "image file, got '{bad}/missing.png'"),
    Api('fresh("caption").predict_images([], ["{bad}/captions-corrupt/a.png"])', "file: "
        "expected image files' bytes, got str"),
    # digits, digit-sequences: folders of WAV files, and one WAV file
    Cli(f"{TD} {{bad}}/wavs-empty", "data: expected WAV files in the folder, got none in "
        "'{bad}/wavs-empty'"),
    Cli(f"{TD} {{bad}}/wavs-names", "data: expected WAV files named {digits}_{speaker}_"
        "{index}.wav such as 7_theo_12.wav, got 'hello.wav'"),
    Cli(f"{TD} {{bad}}/wavs-corrupt", "wav: expected a readable WAV file, got "
        "'{bad}/wavs-corrupt/1_alice_0.wav'"),
    Cli(f"{TD} {{bad}}/wavs-empty-file", "wav: expected a WAV file with samples, got "
        "'{bad}/wavs-empty-file/1_alice_0.wav' with none"),
    Cli(f"{TD} {{bad}}/wavs-two-digits", "data: expected recordings of one digit each for the "
        "digits task (use --task digit-sequences for several), got '12_alice_0.wav'"),
    Cli(f"{TD} {{bad}}/wavs-one-digit", "data: expected recordings of at least 2 different "
        "digits, got ['3']"),
    Cli(f"{TD} {{bad}}/missing", "data: expected a folder of WAV files (--data DIR), got "
        "'{bad}/missing'"),
    Cli(f"{TD} {{data}}/tiny.txt", "data: expected a folder of WAV files (--data DIR), got "
        "'tests/fixtures/v0/data/tiny.txt'"),
    Cli("train --task digit-sequences --data {bad}/wavs-empty-file", "wav: expected a WAV file "
        "with samples"),
    Cli("eval {runs}/digits --data {bad}/wavs-new-digit", "data: expected digits the model "
        "knows (0, 1, 2, 3, 4), got '7_alice_0.wav'"),
    Cli("eval {runs}/digit-sequences --data {bad}/wavs-names", "data: expected WAV files "
        "named"),
    Cli("transcribe {runs}/digits {bad}/empty.wav", "wav: expected a WAV file with samples, "
        "got '{bad}/empty.wav' with none"),
    Cli("transcribe {runs}/digits {bad}/short.wav", "wav: expected at least one analysis "
        "window (200 samples at 8000 Hz), got '{bad}/short.wav' with 16"),
    Cli("transcribe {runs}/digits {bad}/nan.wav", "wav: expected finite samples, got NaN or "
        "infinity in '{bad}/nan.wav'"),
    Cli("transcribe {runs}/digits {bad}/text.wav", "wav: expected a readable WAV file, got "
        "'{bad}/text.wav'"),
    Cli("transcribe {runs}/digits {bad}/wavs-empty", "wav: expected an existing WAV file, "
        "got '{bad}/wavs-empty'"),
    Cli("transcribe {runs}/digit-sequences {bad}/text.wav", "wav: expected a readable WAV "
        "file, got '{bad}/text.wav'"),
    Api('fresh("digits").load("{bad}/wavs-two-digits")', "data: expected recordings of one "
        "digit each"),
    # sort, add: files of inputs
    Cli("eval {runs}/sort --data {bad}/sort-bad.txt", "data: expected integers in 0..9 "
        "separated by spaces, got 'x' at {bad}/sort-bad.txt:2"),
    Cli("eval {runs}/sort --data {bad}/sort-long.txt", "data: expected at most 4 integers "
        "(the longest the model was trained on), got 7 at {bad}/sort-long.txt:1"),
    Cli("eval {runs}/sort --data {bad}/empty.txt", f"data: expected {EMPTY}"),
    Cli("eval {runs}/add --data {bad}/add-bad.txt", "data: expected two numbers joined by "
        "'+', such as 12 + 345, got '1 - 2' at {bad}/add-bad.txt:1"),
    Cli("predict {runs}/sort --input {bad}/sort-bad.txt", "input: expected integers in 0..9 "
        "separated by spaces, got 'x' at {bad}/sort-bad.txt:2"),
    Cli("predict {runs}/add --input {bad}/add-bad.txt", "input: expected two numbers joined "
        "by '+', such as 12 + 345, got '1 - 2' at {bad}/add-bad.txt:1"),
    Api('fresh("sort", length="1-4").load("{bad}/sort-long.txt")', "data: expected at most 4 "
        "integers"),
    Api('fresh("add").load(None)', "data: expected a file of add inputs, one per line (the "
        "task generates its own data), got none"),
    # reply: TSV pairs (the default, chatterbot-corpus, needs no file)
    Cli("train --task reply --data {bad}/empty.txt", f"data: expected {EMPTY}"),
    Cli("train --task reply --data {data}/tiny.txt", "data: expected source<TAB>target on "
        "every line, got a line without a tab at tests/fixtures/v0/data/tiny.txt:1"),
    Cli("train --task reply --data {data}/pairs.tsv --valid {bad}/latin1.txt",
        f"valid: expected {LATIN1}"),
    Api('fresh("reply").load("{bad}/latin1.txt")', f"data: expected {LATIN1}"),
    # the runs of tests/fixtures/v1: frames and caption images, reply pairs, memory inputs
    Cli("predict {runs1}/frames --input {bad}/digit-nan.npy", "inputs[0]: expected finite "
        "pixel values, got NaN or infinity",
        fixed="the model's 'x: expected finite values', naming no argument"),
    Cli("predict {runs1}/frames --input {bad}/digit-wide.npy", "inputs[0]: expected frames of "
        "shape (1, 1, 28) (C, H, W), got (1, 1, 20)"),
    Cli("predict {runs1}/frames --input {bad}/empty.txt", "inputs[0]: expected an image file "
        "(.npy or .png), got '{bad}/empty.txt'"),
    Cli("caption {runs1}/caption {bad}/bomb.png", "image: expected an image of at most "
        "178,956,970 pixels (Pillow's limit), got '{bad}/bomb.png' of 10,000,000,000 pixels",
        fixed="Pillow's DecompressionBombError: a traceback"),
    Cli("caption {runs1}/caption {bad}/cut.png", "image: expected an image file Pillow reads "
        "(PNG, JPEG, ...), got '{bad}/cut.png' (OSError)"),
    Cli("caption {runs1}/caption {bad}/empty.txt", "image: expected an image file Pillow reads "
        "(PNG, JPEG, ...), got '{bad}/empty.txt' (UnidentifiedImageError)"),
    Cli("eval {runs1}/caption --data {data1}", "data: expected a folder of images with "
        "captions.tsv, or one holding MNIST's train-images-idx3-ubyte.gz and "
        "train-labels-idx1-ubyte.gz, got 'tests/fixtures/v1/data'"),
    Cli("eval {runs1}/reply --data {bad}/no-tab.tsv", "data: expected source<TAB>target on "
        "every line, got a line without a tab at {bad}/no-tab.tsv:2"),
    Cli("reply {runs1}/reply hi --k 0", "k: expected an integer >= 1, got 0"),
    Cli("reply {runs1}/reply hi --diversity 2", "diversity: expected a number in [0, 1], got "
        "2.0"),
    Cli("eval {runs1}/adding --data {bad}/adding-three.txt", "data: expected values in [0, 1] "
        "separated by spaces, exactly two marked with *, such as 0.3 0.9* 0.1 0.5*, got 3 "
        "marked at {bad}/adding-three.txt:1"),
    Cli("predict {runs1}/copy-memory --input {bad}/copy-memory-long.txt", "input: expected 2 "
        "symbols in 1..3 separated by spaces, got 3 at {bad}/copy-memory-long.txt:2"),
    Cli("predict {runs1}/parity --input {bad}/parity-text.txt", "input: expected bits 0 and 1 "
        "(spaces optional), such as 0110 1, got 'yes' at {bad}/parity-text.txt:2"),
    Cli("eval {runs1}/parity --data {bad}/empty.txt", f"data: expected {EMPTY}"),
]
