"""Every HTTP route of ``elman serve`` (one server of all the fixture runs, tests/fixtures/v0
and v1): bodies that are not JSON or too large, missing, unknown and mistyped fields, each
route's params out of range and inputs its task cannot read, uploads that are not WAV or
image files, unknown sessions, routes and methods. Each answer is a 4xx JSON ``{"error",
"field"}``."""

from .kinds import OK, Http

NEXT, GEN, SESSION = "POST /v1/lm/next", "POST /v1/lm/generate", "POST /v1/lm/session"
WAV = "{data}/wavs/3_bob_1.wav"
INT = "an integer"
LABEL, CAPTION, REPLY = "POST /v1/frames/label", "POST /v1/caption/caption", "POST /v1/reply/reply"
ADDING, COPY, PARITY = ("POST /v1/adding/predict", "POST /v1/copy-memory/predict",
                        "POST /v1/parity/predict")
ROW = [0.5] * 28                         # one row of a frames image (the run reads 28 x W=28)
IMAGE = "inputs[0]: expected one image (H, W) of numbers, got"
MARKED = "input: expected values in [0, 1] separated by spaces, exactly two marked with *, " \
    "such as 0.3 0.9* 0.1 0.5*, got"
SYMBOLS = "input: expected 2 symbols in 1..3 separated by spaces, got"
BITS = "input: expected bits 0 and 1 (spaces optional), such as 0110 1, got"
PILLOW = "file: expected an image file Pillow reads (PNG, JPEG, ...), got 'file[0]'"

CASES = [
    # any route: the body, the route, the method
    Http(NEXT, b"{not json", "body: expected a JSON object, got invalid JSON"),
    Http(NEXT, b"", "body: expected a JSON object, got nothing",
        fixed="pydantic's 'body: Field required', not in the form"),
    Http(NEXT, [1, 2], "body: expected a JSON object, got [1, 2]",
        fixed="pydantic's 'body: Input should be a valid dictionary or object to extract fields"
              " from', not in the form"),
    Http(NEXT, b"x" * 1_000_001, "body: expected at most 1,000,000 bytes, got more",
         status=413),
    Http("POST /v1/nothing/here", {"inputs": ["a"]}, "path: expected a route of this server "
         "(GET /v1/models lists them), got POST /v1/nothing/here", status=404,
         fixed="404 and 405 answered {\"error\": \"Not Found\"}, not naming the path; now in "
         "the form"),
    Http("GET /v1/lm/next", None, "method: expected POST for /v1/lm/next, got GET",
         status=405,
        fixed='answered {"error": "Method Not Allowed", "field": null}'),
    Http("POST /health", {}, "method: expected GET for /health, got POST", status=405,
        fixed='answered {"error": "Method Not Allowed", "field": null}'),
    Http("DELETE /v1/models", None, "method: expected GET for /v1/models, got DELETE",
         status=405,
        fixed='answered {"error": "Method Not Allowed", "field": null}'),
    # lm: next
    Http(NEXT, {"inputs": ["a"], "k": 51}, "k: expected an integer from 1 to 50, got 51"),
    Http(NEXT, {"inputs": ["a"], "k": 0}, "k: expected an integer >= 1, got 0"),
    Http(NEXT, {"inputs": ["a"], "k": "many"}, f"k: expected {INT}, got 'many'",
         fixed="pydantic's 'k: Input should be a valid integer, ...' was not in the form; "
         "every validation error now reads ARGUMENT: expected ..., got ..."),
    Http(NEXT, {"inputs": ["a"], "k": 2.5}, f"k: expected {INT}, got 2.5",
        fixed="pydantic's 'k: Input should be a valid integer, got a number with a fractional "
              "part', not in the form"),
    Http(NEXT, {"inputs": ["a"], "k": None}, f"k: expected {INT}, got null",
        fixed="pydantic's 'k: Input should be a valid integer', not in the form"),
    Http(NEXT, {"inputs": [""]}, "inputs[0]: expected at least one char, got ''"),
    Http(NEXT, {"inputs": [5]}, "inputs[0]: expected a string, got int"),
    Http(NEXT, {"inputs": [["a"]]}, "inputs[0]: expected a string, got list"),
    Http(NEXT, {"inputs": []}, "inputs: expected at least 1 item, got 0",
        fixed="pydantic's 'inputs: List should have at least 1 item after validation, not 0', "
              "not in the form"),
    Http(NEXT, {"inputs": ["a"] * 65}, "inputs: expected at most 64 items, got 65",
        fixed="pydantic's 'inputs: List should have at most 64 items after validation, not 65',"
              " not in the form"),
    Http(NEXT, {"inputs": "a"}, "inputs: expected a list, got 'a'",
        fixed="pydantic's 'inputs: Input should be a valid list', not in the form"),
    Http(NEXT, {"inputs": ["a" * 10_001]}, "inputs[0]: expected at most 10,000 characters, "
         "got 10,001"),
    Http(NEXT, {"inputs": ["a"], "bogus": 1}, "bogus: expected one of the fields inputs, k, "
         "got an unknown field",
        fixed="pydantic's 'bogus: Extra inputs are not permitted', not in the form"),
    Http(NEXT, {"prompt": "a"}, "inputs: expected a value (the field is required), got none",
        fixed="pydantic's 'inputs: Field required', not in the form"),
    Http("POST /v1/lm-word/next", {"inputs": ["!!!"]}, OK),
    Http("POST /v1/lm-word/next", {"inputs": ["   "]}, "inputs[0]: expected at least one "
         "word, got '   '",
        fixed="the message squeezed the input's spaces ('   ' shown as ' ')"),
    # lm: generate (a stream)
    Http(GEN, {"input": "a", "length": 100_000}, "length: expected an integer from 0 to 2000, "
         "got 100000"),
    Http(GEN, {"input": "a", "length": -1}, "length: expected an integer >= 0, got -1"),
    Http(GEN, {"input": "a", "temperature": 0}, "temperature: expected a number > 0, got 0.0"),
    Http(GEN, {"input": "a", "temperature": "hot"}, "temperature: expected a number, got "
         "'hot'",
        fixed="pydantic's 'temperature: Input should be a valid number, unable to parse string "
              "as a number', not in the form"),
    Http(GEN, {"input": "a", "temperature": 1e-45, "length": 5, "stream": False}, OK,
         fixed="torch.multinomial raised on NaN probabilities: a 500 internal error"),
    Http(GEN, {"input": "a", "top_k": 0}, "top_k: expected an integer >= 1, got 0"),
    Http(GEN, {"input": "a", "seed": -1}, "seed: expected an integer >= 0, got -1"),
    Http(GEN, {"input": 5}, "input: expected a string, got int"),
    Http(GEN, {"input": "a", "stream": "maybe"}, "stream: expected a boolean (true or false), "
         "got 'maybe'",
        fixed="pydantic's 'stream: Input should be a valid boolean, unable to interpret input',"
              " not in the form"),
    Http(GEN, {"input": "a" * 10_001}, "input: expected at most 10,000 characters, got 10,001"),
    Http(GEN, {"inputs": ["a"]}, "inputs: expected one of the fields input, stream, length, "
         "temperature, top_k, seed, got an unknown field",
        fixed="pydantic's 'inputs: Extra inputs are not permitted', not in the form"),
    # lm: session
    Http(SESSION, {"input": "a", "session": "nope"}, "session: expected the id of an open "
         "session"),
    Http(SESSION, {"input": ""}, "input: expected at least one char, got ''"),
    Http(SESSION, {"input": "a", "k": 99}, "k: expected an integer from 1 to 50, got 99"),
    Http(SESSION, {"session": None}, "input: expected a value (the field is required), got "
         "none",
        fixed="pydantic's 'input: Field required', not in the form"),
    Http(SESSION, {"input": ["a"]}, "input: expected a string, got list"),
    Http("DELETE /v1/lm/session/nope", None, "session: expected the id of an open session"),
    # classify, tag
    Http("POST /v1/classify/classify", {"inputs": [5]}, "inputs[0]: expected a text (a "
         "string), got int", fixed="an AttributeError in the task: a 500 internal error"),
    Http("POST /v1/classify/classify", {"inputs": ["a"], "k": 3}, "k: expected one of the "
         "fields inputs, got an unknown field",
        fixed="pydantic's 'k: Extra inputs are not permitted', not in the form"),
    Http("POST /v1/classify/classify", {"inputs": [""]}, "inputs[0]: expected a text with "
         "some words, got ''",
        fixed="answered 'data: expected sequences of at least one token', naming no field of "
              "the request"),
    Http("POST /v1/tag/tag", {"inputs": [[1, 2]]}, "inputs[0]: expected a sentence (a string, "
         "or a list of words), got a list holding int",
        fixed='a 500 internal error (an exception in the task)'),
    Http("POST /v1/tag/tag", {"inputs": [{"a": 1}]}, "inputs[0]: expected a sentence (a "
         "string, or a list of words), got dict",
        fixed='accepted: the dict read as a sentence of its keys'),
    Http("POST /v1/tag/tag", {"inputs": [""]}, "inputs[0]: expected a sentence with some "
         "words, got ''",
        fixed="answered 'data: expected sequences of at least one token', naming no field of "
              "the request"),
    # translate, sort, add
    Http("POST /v1/translate/translate", {"inputs": [""]}, "text: expected a sentence to "
         "translate, got an empty one at input:1"),
    Http("POST /v1/translate/translate", {"inputs": ["cold"], "beam": 17}, "beam: expected "
         "an integer from 1 to 16, got 17"),
    Http("POST /v1/translate/translate", {"inputs": ["cold"], "length_penalty": -1},
         "length_penalty: expected a number >= 0, got -1.0"),
    Http("POST /v1/translate/translate", {"inputs": [" ".join(["cold"] * 60)]}, "text: "
         "expected at most"),
    Http("POST /v1/translate/translate", {"inputs": [7]}, "input: expected a string, got int",
        fixed='a 500 internal error (an exception in the task)'),
    Http("POST /v1/sort/predict", {"inputs": ["5 x 1"]}, "input: expected integers in 0..9 "
         "separated by spaces, got 'x' at input:1"),
    Http("POST /v1/sort/predict", {"inputs": ["1 2 3 4 5"]}, "input: expected at most 4 "
         "integers (the longest the model was trained on), got 5 at input:1"),
    Http("POST /v1/sort/predict", {"inputs": ["5 1"], "beam": 0}, "beam: expected an integer "
         ">= 1, got 0"),
    Http("POST /v1/sort/predict", {"inputs": [53]}, "input: expected a string, got int",
         fixed="an AttributeError in the task: a 500 internal error"),
    Http("POST /v1/add/predict", {"inputs": ["1 - 2"]}, "input: expected two numbers joined "
         "by '+', such as 12 + 345, got '1 - 2' at input:1"),
    # forecast, music
    Http("POST /v1/forecast/forecast", {"inputs": [[1, 2]]}, "history: expected a list of at "
         "least the window of 12 finite numbers, got 2 values"),
    Http("POST /v1/forecast/forecast", {"inputs": [["a"] * 20]}, "history: expected a list of "
         "at least the window of 12 finite numbers, got",
        fixed='a 500 internal error (an exception in the task)'),
    Http("POST /v1/forecast/forecast", {"inputs": [5]}, "history: expected a list of at least "
         "the window of 12 finite numbers, got shape ()"),
    Http("POST /v1/forecast/forecast", b'{"inputs": [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, '
         b'Infinity]]}', "history: expected a list of at least the window of 12 finite numbers, "
         "got a non-finite value"),
    Http("POST /v1/forecast-sunspots/forecast", {"inputs": [[1] * 11]}, "history: expected a "
         "list of at least the window of 12 finite numbers, got 11 values"),
    Http("POST /v1/music/generate", {"inputs": [[60]], "length": 0}, "length: expected an "
         "integer >= 1, got 0"),
    Http("POST /v1/music/generate", {"inputs": [[200]]}, "opening: expected MIDI pitches "
         "21..108 (the piano), got 200 at the opening chord step 0"),
    Http("POST /v1/music/generate", {"inputs": [60]}, "opening: expected a list of MIDI "
         "pitches",
        fixed='a 500 internal error (an exception in the task)'),
    Http("POST /v1/music/generate", {"inputs": [[60]], "temperature": 0}, "temperature: "
         "expected a number > 0, got 0.0"),
    Http("POST /v1/music/generate", {"inputs": [[60]], "seed": "x"}, f"seed: expected {INT}, "
         "got 'x'",
        fixed="pydantic's 'seed: Input should be a valid integer, unable to parse string as an "
              "integer', not in the form"),
    # digits, digit-sequences: uploads
    Http("POST /v1/digits/transcribe", None, "wav: expected a readable WAV file, got file[0]",
         files=(("x.wav", b"not a wav"),)),
    Http("POST /v1/digits/transcribe", None, "wav: expected a WAV file with samples, got "
         "file[0] with none", files=(("e.wav", "EMPTY_WAV"),)),
    Http("POST /v1/digits/transcribe", None, "file: expected a value (the field is required), "
         "got none",
        fixed="pydantic's 'file: Field required', not in the form"),
    Http("POST /v1/digits/transcribe?beam=3", None, "beam: expected no params (this route takes "
         "none), got an unknown one", fixed="'expected one of the params []'", files=(("x.wav", "WAV"),)),
    Http("POST /v1/digits/transcribe", None, "file: expected at most 64 files, got 65",
         files=tuple(("x.wav", "WAV") for _ in range(65))),
    Http("POST /v1/digit-sequences/transcribe?beam=0", None, "beam: expected an integer >= 1, "
         "got 0", files=(("x.wav", "WAV"),)),
    Http("POST /v1/digit-sequences/transcribe?beam=33", None, "beam: expected an integer from "
         "1 to 32, got 33", files=(("x.wav", "WAV"),)),
    Http("POST /v1/digit-sequences/transcribe?beam=x", None, f"beam: expected {INT}, got 'x'",
         files=(("x.wav", "WAV"),)),
    Http("POST /v1/digit-sequences/transcribe", {"inputs": ["a"]}, "file: expected a value "
         "(the field is required), got none",
        fixed="pydantic's 'file: Field required', not in the form"),
    # frames (a run of sequential images: one image of 28-pixel rows per input)
    Http(LABEL, {"inputs": [[ROW] * 28]}, OK),
    Http(LABEL, {"inputs": [[ROW] * 3]}, OK),                      # 3 rows: a shorter sequence
    Http(LABEL, {"inputs": ["/etc/passwd"]}, "inputs[0]: expected frames as nested lists of "
         "numbers (not a path), got str"),
    Http(LABEL, {"inputs": [[[1, 2], [3]]]}, "inputs[0]: expected a rectangular array of "
         "numbers, got lists of uneven lengths"),
    Http(LABEL, {"inputs": [[[0] * 20] * 28]}, "inputs[0]: expected frames of shape (1, 1, 28) "
         "(C, H, W), got (1, 1, 20)"),
    Http(LABEL, {"inputs": [[[ROW] * 28]]}, f"{IMAGE} shape (1, 28, 28)"),
    Http(LABEL, {"inputs": [None]}, f"{IMAGE} shape ()"),
    Http(LABEL, {"inputs": [[]]}, f"{IMAGE} shape (0,)"),
    Http(LABEL, {"inputs": [{"a": 1}]}, f"{IMAGE} shape ()"),
    Http(LABEL, {"inputs": [[["a"] * 28] * 28]}, f"{IMAGE} dtype <U1",
         fixed="said 'got shape (28, 28)', the shape asked for"),
    Http(LABEL, {"inputs": [[[10 ** 30] * 28] * 28]}, f"{IMAGE} dtype object",
         fixed="said 'got shape (28, 28)', the shape asked for"),
    Http(LABEL, {"inputs": [[[300] * 28] * 28]}, "inputs[0]: expected integer pixels in 0..255 "
         "(or floats), got integers from 300 to 300",
         fixed="whole numbers were read as floats, not divided by 255: another answer than "
         "the same image as uint8"),
    Http(LABEL, b'{"inputs": [[[' + b", ".join([b"NaN"] * 28) + b"]]]}", "inputs[0]: expected "
         "finite pixel values, got NaN or infinity",
         fixed="the model's 'x: expected finite values', naming no field of the request"),
    Http(LABEL, b'{"inputs": [[[' + b", ".join([b"1e400"] * 28) + b"]]]}", "inputs[0]: "
         "expected finite pixel values, got NaN or infinity",
         fixed="the model's 'x: expected finite values', naming no field of the request"),
    Http(LABEL, {"inputs": [[ROW] * 28], "k": 3}, "k: expected one of the fields inputs, got an "
         "unknown field"),
    Http(LABEL, {"inputs": [[ROW] * 28] * 65}, "inputs: expected at most 64 items, got 65"),
    Http(LABEL, {"inputs": [[[0.5] * 5000] * 100]}, "body: expected at most 1,000,000 bytes, "
         "got more", status=413),
    # caption: uploads
    Http(CAPTION, None, OK, files=(("row.png", "PNG"),)),
    Http(CAPTION + "?beam=2", None, OK, files=(("digit.png", "DIGIT_PNG"),)),   # resized
    Http(CAPTION, None, f"{PILLOW} (UnidentifiedImageError)", files=(("x.png", b"not an "
                                                                       b"image"),)),
    Http(CAPTION, None, f"{PILLOW} (UnidentifiedImageError)", files=(("x.png", b""),)),
    Http(CAPTION, None, f"{PILLOW} (UnidentifiedImageError)", files=(("3.wav", "WAV"),)),
    Http(CAPTION, None, f"{PILLOW} (OSError)", files=(("cut.png", "CUT_PNG"),)),
    Http(CAPTION, None, "file: expected an image of at most 178,956,970 pixels (Pillow's "
         "limit), got 'file[0]' of 10,000,000,000 pixels", files=(("bomb.png", "BOMB_PNG"),),
         fixed="Pillow's DecompressionBombError was not caught: a 500 internal error"),
    Http(CAPTION, None, "file: expected an image file Pillow reads (PNG, JPEG, ...), got "
         "'file[1]' (UnidentifiedImageError)", files=(("row.png", "PNG"), ("x.png", b"nope"))),
    Http(CAPTION + "?beam=0", None, "beam: expected an integer >= 1, got 0",
         files=(("row.png", "PNG"),)),
    Http(CAPTION + "?beam=x", None, f"beam: expected {INT}, got 'x'",
         files=(("row.png", "PNG"),)),
    Http(CAPTION + "?length_penalty=-1", None, "length_penalty: expected a number >= 0, got "
         "-1.0", files=(("row.png", "PNG"),)),
    Http(CAPTION + "?k=2", None, "k: expected one of the params beam, length_penalty, got an "
         "unknown one", files=(("row.png", "PNG"),)),
    Http(CAPTION, None, "file: expected at most 64 files, got 65",
         files=tuple(("row.png", "PNG") for _ in range(65))),
    Http(CAPTION, {"inputs": ["row.png"]}, "file: expected a value (the field is required), "
         "got none"),
    # reply
    Http(REPLY, {"inputs": ["zzz qqq"]}, OK),                           # only unknown words
    Http(REPLY, {"inputs": ["hi"], "k": 1000}, OK),                     # more than there are
    Http(REPLY, {"inputs": [5]}, "input: expected a message (a string), got int"),
    Http(REPLY, {"inputs": [["hi"]]}, "input: expected a message (a string), got list"),
    Http(REPLY, {"inputs": [""]}, "text: expected a message with some words, got an empty one "
         "at inputs:1"),
    Http(REPLY, {"inputs": ["hi", "   "]}, "text: expected a message with some words, got an "
         "empty one at inputs:2"),
    Http(REPLY, {"inputs": "hi"}, "inputs: expected a list, got 'hi'"),
    Http(REPLY, {"inputs": ["hi"], "k": 0}, "k: expected an integer >= 1, got 0"),
    Http(REPLY, {"inputs": ["hi"], "k": "x"}, f"k: expected {INT}, got 'x'"),
    Http(REPLY, {"inputs": ["hi"], "k": 1.5}, f"k: expected {INT}, got 1.5"),
    Http(REPLY, {"inputs": ["hi"], "diversity": 3}, "diversity: expected a number in [0, 1], "
         "got 3.0"),
    Http(REPLY, {"inputs": ["hi"], "diversity": -0.5}, "diversity: expected a number in [0, 1]"
         ", got -0.5"),
    Http(REPLY, {"inputs": ["hi"], "diversity": "x"}, "diversity: expected a number, got 'x'"),
    Http(REPLY, {"inputs": ["hi"], "beam": 2}, "beam: expected generate true with a beam "
         "other than 1 (it sets how the reply is generated), got 2",
         fixed="a beam without generate was ignored"),
    Http(REPLY, {"inputs": ["hi"], "generate": True}, "generate: expected a run trained with "
         "--generator true, got a run without a generator"),
    Http(REPLY, {"inputs": ["hi " * 3400]}, "inputs[0]: expected at most 10,000 characters, "
         "got 10,200"),
    # adding, copy-memory, parity
    Http(ADDING, {"inputs": ["0.5* 0.5*", "0.1 0.2* 0.3* 0.9"]}, OK),   # two lengths at once
    Http(ADDING, {"inputs": ["0.1 0.2"]}, f"{MARKED} 0 marked at inputs[0]"),
    Http(ADDING, {"inputs": ["0.1* 0.2* 0.3*"]}, f"{MARKED} 3 marked at inputs[0]"),
    Http(ADDING, {"inputs": ["0.5* 2*"]}, f"{MARKED} '2*' at inputs[0]"),
    Http(ADDING, {"inputs": ["nan* 0.5*"]}, f"{MARKED} 'nan*' at inputs[0]"),
    Http(ADDING, {"inputs": ["0.5** 0.5*"]}, f"{MARKED} '0.5**' at inputs[0]"),
    Http(ADDING, {"inputs": ["0.5* 0.5*", ""]}, f"{MARKED} 0 marked at inputs[1]"),
    Http(ADDING, {"inputs": [0.5]}, "input: expected a string, got float"),
    Http(COPY, {"inputs": ["1 2", "3 3"]}, OK),
    Http(COPY, {"inputs": ["1 2 3"]}, f"{SYMBOLS} 3 at inputs[0]"),
    Http(COPY, {"inputs": ["4 1"]}, f"{SYMBOLS} '4' at inputs[0]"),
    Http(COPY, {"inputs": ["0 1"]}, f"{SYMBOLS} '0' at inputs[0]"),
    Http(COPY, {"inputs": ["\u0661 \u0662"]}, f"{SYMBOLS} '\u0661' at inputs[0]"),
    Http(COPY, {"inputs": [[1, 2]]}, "input: expected a string, got list"),
    Http(COPY, {"inputs": ["1 2"], "k": 1}, "k: expected one of the fields inputs, got an "
         "unknown field"),
    Http(PARITY, {"inputs": ["10" * 4000]}, OK),                        # 8,000 steps
    Http(PARITY, {"inputs": ["012"]}, f"{BITS} '012' at inputs[0]"),
    Http(PARITY, {"inputs": [""]}, f"{BITS} '' at inputs[0]"),
    Http(PARITY, {"inputs": [1010]}, "input: expected a string, got int"),
    Http(PARITY, {"inputs": ["1" * 10_001]}, "inputs[0]: expected at most 10,000 characters, "
         "got 10,001"),
    Http("GET /v1/parity/predict", None, "method: expected POST for /v1/parity/predict, got "
         "GET", status=405),
]
