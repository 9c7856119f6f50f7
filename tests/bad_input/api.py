"""The Python API: ``elman.RNN`` (its sizes, inputs, lengths and states), the architectures
and the language model, ``Vocab``, the NumPy reference and runtime, and each task's
``predict`` (what ``elman serve`` calls) with inputs a program may pass."""

from .kinds import OK, Api

X = "torch.zeros(2, 3, 4)"
DUAL = 'build("dual_encoder", {"input_size": 4, "hidden_sizes": 4, "output_size": 4})'
SIZE = "layer widths whose weights fit in this machine's memory"
MODELS = ("one of ['dual_encoder', 'encoder_decoder', 'language_model', 'many_to_many', "
          "'many_to_one', ")

CASES = [
    # elman.RNN: construction
    Api("RNN(4, [10**9])", f"hidden_sizes: expected {SIZE}",
        fixed="torch tried to allocate 4 exabytes (RuntimeError, or the OOM killer); now a "
        "check of the weights' bytes against the memory available, before allocating"),
    Api("RNN(10**12, 4)", "input_size: expected an input size whose weights fit in this "
        "machine's memory",
        fixed="torch's allocator raised a RuntimeError (a traceback); now refused before "
              "allocating"),
    Api("RNN(4, 0)", "hidden_sizes: expected a positive int or a non-empty list of positive "
        "ints, got 0"),
    Api("RNN(4, [])", "hidden_sizes: expected a positive int or a non-empty list of positive "
        "ints, got []"),
    Api("RNN(4, [4, -1])", "hidden_sizes: expected a positive int or a non-empty list of "
        "positive ints, got [4, -1]"),
    Api("RNN(4, 4.5)", "hidden_sizes: expected a positive int or a non-empty list of positive "
        "ints, got 4.5",
        fixed="a TypeError traceback ('float' object is not iterable)"),
    Api("RNN(4, [True])", "hidden_sizes: expected a positive int or a non-empty list of "
        "positive ints, got [True]",
        fixed='accepted: a layer of width True'),
    Api("RNN(0, 4)", "input_size: expected a positive int, got 0"),
    Api("RNN('4', 4)", "input_size: expected a positive int, got '4'"),
    Api("RNN(4, 4, cell='rnn')", "cell: expected one of ['elman', 'lstm', 'gru'], got 'rnn'"),
    Api("RNN(4, 4, activation='swish')", "activation: expected one of ['identity', 'relu', "
        "'sigmoid', 'tanh'], got 'swish'"),
    Api("RNN(4, 4, activation=['tanh', 'relu'])", "activation: expected one name or 1 names "
        "(one per layer), got ['tanh', 'relu']"),
    Api("RNN(4, 4, cell='lstm', activation='relu')", "activation: expected 'tanh' for "
        "cell='lstm' (its gates fix the nonlinearity), got 'relu'"),
    Api("RNN(4, 4, dropout=1.5)", "dropout: expected a probability in [0, 1), got 1.5"),
    Api("RNN(4, 4, backend='cuda')", "backend: expected one of ['auto', 'loop', 'fast'], got "
        "'cuda'"),
    Api("RNN(4, 4, recurrent_init='eye')", "recurrent_init: expected one of ['uniform', "
        "'identity', 'orthogonal', 'indrnn'], got 'eye'"),
    Api("RNN(4, 4, 'lstm', chrono=2)", "chrono: expected 0, or an integer >= 3 for a gated "
        "cell (lstm or gru), got 2 for an LSTMCell"),
    Api("RNN(4, 4, input_scale=float('inf'))", "input_scale: expected a finite number, got "
        "inf"),
    Api("elman.nn.constrain_recurrent(RNN(4, 4), 'unitary')", "recurrent_constraint: "
        "expected one of ['none', 'diagonal'], got 'unitary'"),
    Api("RNN(4, 4, recurrent_scale=float('nan'))", "recurrent_scale: expected a finite "
        "number, got nan"),
    Api("elman.models.FramesModel([1, 28, 28], 8, 2, encoder='rnn')", "encoder: expected one of ['cnn', "
        "'flat'], got 'rnn'"),
    Api("elman.models.FramesModel([1, 28, 28], 8, 2)(torch.zeros(2, 3, 28, 28))", "x: expected frames (B, "
        "T, 1, 28, 28), got shape (2, 3, 28, 28)"),
    # elman.RNN: inputs
    Api(f"RNN(4, 4)({X}.double())", "x: expected a torch.float32 tensor (the weights' dtype; "
        "convert it with x.to(torch.float32)), got torch.float64",
        fixed="a float64 batch reached the matrix product (RuntimeError: mat1 and mat2 must "
        "have the same dtype); now refused at the boundary"),
    Api(f"RNN(4, 4)({X}.half())", "x: expected a torch.float32 tensor (the weights' dtype; "
        "convert it with x.to(torch.float32)), got torch.float16",
        fixed="a RuntimeError traceback (expected m1 and m2 to have the same dtype, but got: "
              "c10::Hal)"),
    Api(f"RNN(4, 4, backend='loop')({X}.double())", "x: expected a torch.float32 tensor",
        fixed="a RuntimeError traceback (expected m1 and m2 to have the same dtype, but got: "
              "double !)"),
    Api(f"RNN(4, 4)({X}.long())", "x: expected a floating-point tensor, got torch.int64"),
    Api("RNN(4, 4)(np.zeros((2, 3, 4)))", "x: expected a torch.Tensor of shape (B, T, I), got "
        "ndarray"),
    Api("RNN(4, 4)(torch.zeros(2, 3))", "x: expected a 3-D tensor (B, T, I=4), got shape "
        "(2, 3)"),
    Api("RNN(4, 4)(torch.zeros(2, 3, 5))", "x: expected 4 features in the last dimension, got "
        "5 (shape (2, 3, 5))"),
    Api("RNN(4, 4)(torch.zeros(0, 3, 4))", "x: expected a non-empty batch (B >= 1, T >= 1), "
        "got shape (0, 3, 4)"),
    Api("RNN(4, 4)(torch.full((2, 3, 4), float('nan')))", "x: expected finite values, got NaN "
        "or infinite entries"),
    Api(f"RNN(4, 4)({X}, lengths=[7, 'x'])", "lengths: expected integers, one per sequence, "
        "got [7, 'x']", fixed="torch.as_tensor raised a ValueError (too many dimensions "
        "'str'); now refused at the boundary"),
    Api(f"RNN(4, 4)({X}, lengths=[1.5, 2])", "lengths: expected integers, got torch.float32"),
    Api(f"RNN(4, 4)({X}, lengths=[0, 3])", "lengths: expected values in 1..T=3, got values in "
        "0..3"),
    Api(f"RNN(4, 4)({X}, lengths=[3, 4])", "lengths: expected values in 1..T=3, got values in "
        "3..4"),
    Api(f"RNN(4, 4)({X}, lengths=[3])", "lengths: expected shape (2,), one length per "
        "sequence, got shape (1,)"),
    Api(f"RNN(4, 4)({X}, lengths=[True, False])", "lengths: expected integers, got torch.bool"),
    Api(f"RNN(4, 4)({X}, lengths='23')", "lengths: expected integers, one per sequence, got "
        "'23'",
        fixed="a TypeError traceback (new(): invalid data type 'str')"),
    Api(f"RNN(4, 4)({X}, state=[torch.zeros(2, 5)])", "state[0]: expected shape (2, 4), got "
        "(2, 5)"),
    Api(f"RNN(4, 4)({X}, state='zeros')", "state: expected a list of 1 per-layer states, got "
        "str"),
    Api(f"RNN(4, [4, 4])({X}, state=[torch.zeros(2, 4)])", "state: expected a list of 2 "
        "per-layer states, got 1 entries"),
    Api(f"RNN(4, 4, cell='lstm')({X}, state=[torch.zeros(2, 4)])", "state[0]: expected an "
        "(h, c) tuple for cell='lstm', got Tensor"),
    Api(f"RNN(4, 4)({X}, state=[torch.zeros(2, 4).double()])", "state[0]: expected a "
        "torch.float32 tensor (the weights' dtype), got torch.float64",
        fixed='accepted: a float64 state beside float32 weights'),
    Api("RNN(4, 4, bidirectional=True).step(torch.zeros(2, 4))", "step: expected a "
        "unidirectional RNN (a reverse direction needs the whole sequence), got "
        "bidirectional=True"),
    Api(f"RNN(4, 4).step({X})", "x_t: expected a 2-D tensor (B, I=4), got shape (2, 3, 4)"),
    Api("RNN(4, 4).step(torch.zeros(2, 4).double())", "x: expected a torch.float32 tensor",
        fixed="a RuntimeError traceback (mat1 and mat2 must have the same dtype, but got Double"
              " and F)"),
    # the architectures and the language model
    Api("LanguageModel(0, 4)", "vocab_size: expected a positive int, got 0"),
    Api("LanguageModel(10, 4, embed_dim=10**12)", "embed_dim: expected an embedding that "
        "fits in this machine's memory",
        fixed="torch's allocator raised a RuntimeError (a traceback); now refused before "
              "allocating"),
    Api("LanguageModel(10, 4)(torch.tensor([[1, 12]]))", "tokens: expected ids in 0..9, got "
        "ids in 1..12"),
    Api("LanguageModel(10, 4)(torch.tensor([[1.0, 2.0]]))", "tokens: expected a (B, T) int64 "
        "tensor, got (1, 2) torch.float32"),
    Api("LanguageModel(10, 4)(torch.tensor([[1, 2]]), lengths=[7, 'x'])", "lengths: expected "
        "integers, one per sequence, got [7, 'x']",
        fixed="a TypeError traceback (new(): invalid data type 'str')"),
    Api("list(LanguageModel(10, 4).generate([], 5))", "prompt: expected at least one token, "
        "got an empty prompt"),
    Api("list(LanguageModel(10, 4).generate([1], 5, temperature=0))", "temperature: expected "
        "a number > 0, got 0"),
    Api("list(LanguageModel(10, 4).generate([1], 5, top_k=0))", "top_k: expected an int >= 1 "
        "or None, got 0"),
    Api("list(LanguageModel(10, 4).generate([1], -1))", "length: expected an int >= 0, got -1"),
    Api("list(LanguageModel(10, 4).generate([12], 3))", "tokens: expected ids in 0..9, got ids "
        "in 12..12"),
    Api("list(LanguageModel(10, 4).generate([1], 20, temperature=1e-45))", OK,
        fixed="torch.multinomial raised on the NaN probabilities of logits / 1e-45"),
    Api("ManyToOne(4, 8, 2)(torch.zeros(2, 3, 4).double())", "x: expected a torch.float32 "
        "tensor",
        fixed="a RuntimeError traceback (expected m1 and m2 to have the same dtype, but got: "
              "double !)"),
    Api("ManyToOne(4, 8, 2, vocab_size=10)(torch.tensor([[1, 10]]))", "x: expected token ids "
        "in 0..9, got ids in 1..10", fixed="an IndexError (index out of range in self) from "
        "the embedding; now refused naming the ids"),
    Api("ManyToOne(4, 8, 2, vocab_size=10)(torch.tensor([[1.0, 2.0]]))", "x: expected token "
        "ids (an integer tensor), got torch.float32",
        fixed="a RuntimeError traceback (Expected tensor for argument #1 'indices' to have one "
              "of the)"),
    Api("ManyToOne(4, 8, 2, vocab_size=10)(torch.tensor([[-1, 2]]))", "x: expected token ids "
        "in 0..9, got ids in -1..2",
        fixed='an IndexError traceback (index out of range in self)'),
    Api("ManyToOne(4, 8, 2)(torch.zeros(2, 3, 4), lengths=[7, 'x'])", "lengths: expected "
        "integers, one per sequence, got [7, 'x']",
        fixed="a TypeError traceback (new(): invalid data type 'str')"),
    Api("ManyToOne(4, 8, 2, pooling='median')", "pooling: expected one of ['last', 'max', "
        "'mean'], got 'median'"),
    Api("ManyToOne(4, 8, 2, pooling='mean')(torch.zeros(2, 3, 4), lengths=[7, 'x'])",
        "lengths: expected integers, one per sequence, got [7, 'x']",
        fixed="a TypeError traceback (new(): invalid data type 'str')"),
    Api("ManyToOne(4, 8, 2, vectors=[10])", "vectors: expected None or [rows, width] of a "
        "piece table, got [10]"),
    Api("ManyToOne(4, 8, 2, vocab_size=10**12)", "input_size: expected an embedding that fits "
        "in this machine's memory",
        fixed="torch's allocator raised a RuntimeError (a traceback); now refused before "
              "allocating"),
    Api("ManyToMany(4, 8, 3)(torch.zeros(2, 3, 4).half())", "x: expected a torch.float32 "
        "tensor",
        fixed="a RuntimeError traceback (expected m1 and m2 to have the same dtype, but got: "
              "c10::Hal)"),
    Api("ManyToMany(4, 8, 3, vocab_size=5)(torch.tensor([[4, 5]]))", "x: expected token ids "
        "in 0..4, got ids in 4..5",
        fixed='an IndexError traceback (index out of range in self)'),
    Api("Tagger(10, 4, 8, 3)(torch.tensor([[1, 12]]))", "ids: expected token ids in 0..9, got "
        "ids in 1..12",
        fixed='an IndexError traceback (index out of range in self)'),
    Api("Tagger(10, 4, 8, 3, char_vocab_size=5)(torch.tensor([[1, 2]]), None, "
        "torch.tensor([[[1, 9], [1, 2]]]), torch.tensor([[2, 2]]))", "chars: expected token "
        "ids in 0..4, got ids in 1..9",
        fixed='an IndexError traceback (index out of range in self)'),
    Api("EncoderDecoder(10, 12, 8)(torch.tensor([[1, 10]]), torch.tensor([[1, 2]]))", "src: "
        "expected token ids in 0..9, got ids in 1..10",
        fixed='an IndexError traceback (index out of range in self)'),
    Api("EncoderDecoder(10, 12, 8)(torch.tensor([[1, 2]]), torch.tensor([[1, 12]]))", "tokens: "
        "expected token ids in 0..11, got ids in 1..12",
        fixed='an IndexError traceback (index out of range in self)'),
    Api("EncoderDecoder(10, 12, 8, attention='dot')", "attention: expected one of"),
    Api("OneToMany(4, 10, 8)(torch.zeros(2, 4).double(), torch.tensor([[1, 2], [1, 2]]))",
        "x: expected a torch.float32 tensor",
        fixed="a RuntimeError traceback (mat1 and mat2 must have the same dtype, but got Double"
              " and F)"),
    Api("Captioner(1, 16, 24, 9, 8)(torch.zeros(2, 1, 24, 16), torch.ones(2, 3).long())",
        "images: expected a float (B, C, H, W) = (B, 1, 16, 24) tensor, got (2, 1, 24, 16) "
        "torch.float32"),
    Api("Captioner(1, 16, 24, 9, 8, conv_channels=[])", "conv_channels: expected at least one "
        "convolution width, got none"),
    Api("Captioner(1, 0, 24, 9, 8)", "height: expected a positive int, got 0"),
    # Vocab
    Api("Vocab([])", "vocab.tokens: expected a non-empty list of non-empty strings, got []"),
    Api("Vocab(['a', 'a'])", "vocab.tokens: expected distinct tokens, got 'a' twice"),
    Api("Vocab(['a'], level='byte')", "vocab.level: expected one of ['char', 'word', "
        "'subword'], got 'byte'"),
    Api("Vocab(['a'], unk='?')", "vocab.unk: expected one of the tokens or None, got '?'"),
    Api("Vocab(['a']).encode('b')", "text: expected tokens of the vocabulary, got 'b' at "
        "token 0"),
    Api("Vocab(['a']).decode([3])", "ids: expected ids in 0..0, got 3"),
    Api("Vocab.from_dict([])", "vocab: expected a mapping with 'level', 'tokens' and 'unk', "
        "got list"),
    Api("Vocab.from_dict({'level': 'char'})", "vocab: expected a mapping with 'level', "
        "'tokens' and 'unk', got ['level']"),
    Api("Vocab.build('', unk=False)", "text: expected at least one token, got no tokens"),
    # each task's predict, as elman serve calls it
    Api('task("classify").predict([model("classify")], "a good film")', "inputs: expected a "
        "list of texts, got one string"),
    Api('task("classify").predict([model("classify")], [5])', "inputs[0]: expected a text "
        "(a string), got int",
        fixed="an AttributeError traceback ('int' object has no attribute 'split')"),
    Api('task("tag").predict([model("tag")], "the cat")', "inputs: expected a list of "
        "sentences, got one string"),
    Api('task("tag").predict([model("tag")], [[1, 2]])', "inputs[0]: expected a sentence "
        "(a string, or a list of words), got a list holding int",
        fixed="a TypeError traceback ('int' object is not subscriptable)"),
    Api('task("forecast").predict([model("forecast")], [[1, 2]])', "history: expected a list "
        "of at least the window of 12 finite numbers, got 2 values"),
    Api('task("forecast").predict([model("forecast")], [[float("nan")] * 20])', "history: "
        "expected a list of at least the window of 12 finite numbers, got a non-finite value"),
    Api('task("forecast").predict([model("forecast")], [["a"] * 20])', "history: expected a "
        "list of at least the window of 12 finite numbers, got values that are not numbers",
        fixed="a ValueError traceback (could not convert string to float: 'a')"),
    Api('task("music").predict([model("music")], [[200]])', "opening: expected MIDI pitches "
        "21..108 (the piano), got 200 at the opening chord step 0"),
    Api('task("music").predict([model("music")], [[60]], length=0)', "length: expected an int "
        ">= 1, got 0"),
    Api('task("music").predict([model("music")], [60])', "opening: expected a list of MIDI "
        "pitches 21..108 (a chord), got 60",
        fixed="a TypeError traceback ('int' object is not iterable)"),
    Api('task("lm").next_tokens([model("lm")], [5])', "inputs[0]: expected a string, got int"),
    Api('task("lm").next_tokens([model("lm")], [""])', "inputs[0]: expected at least one "
        "char, got ''"),
    Api('task("lm").next_tokens([model("lm")], ["a"], k=0)', "k: expected an int >= 1, got 0",
        fixed='accepted: an empty list of suggestions'),
    Api('list(task("lm").sample([model("lm")], "a", temperature=0))', "temperature: expected "
        "a number > 0, got 0"),
    Api('list(task("lm").sample([model("lm")], 5))', "input: expected a string, got int"),
    Api('task("lm").next_tokens([model("lm"), model("lm")], ["a"])', "models: expected one "
        "language model (they do not vote), got 2"),
    Api('task("sort").predict([model("sort")], ["5 x"])', "input: expected integers in 0..9 "
        "separated by spaces, got 'x' at input:1"),
    Api('task("sort").predict([model("sort")], ["5 3"], beam=0)', "beam: expected an int >= 1 "
        "(1: greedy), got 0"),
    Api('task("sort").predict([model("sort")], [53])', "input: expected a string, got int",
        fixed="an AttributeError traceback ('int' object has no attribute 'split')"),
    Api('fresh("adding").predict([ManyToOne(2, 4, 1)], ["0.5* 2*"])', "input: expected "
        "values in [0, 1] separated by spaces, exactly two marked with *, such as 0.3 0.9* "
        "0.1 0.5*, got '2*' at inputs[0]"),
    Api('fresh("adding").predict([ManyToOne(2, 4, 1)], ["0.5* 0.2"])', "input: expected "
        "values in [0, 1] separated by spaces, exactly two marked with *, such as 0.3 0.9* "
        "0.1 0.5*, got 1 marked at inputs[0]"),
    Api('fresh("adding").predict([ManyToOne(2, 4, 1)], [0.5])', "input: expected a string, "
        "got float"),
    Api('fresh("copy-memory").predict([ManyToMany(10, 4, 9)], ["1 2 3"])', "input: expected "
        "10 symbols in 1..8 separated by spaces, got 3 at inputs[0]"),
    Api('fresh("copy-memory").predict([ManyToMany(10, 4, 9)], ["1 2 3 4 5 6 7 8 9 1"])',
        "input: expected 10 symbols in 1..8 separated by spaces, got '9' at inputs[0]"),
    Api('fresh("parity").predict([ManyToOne(1, 4, 2)], ["01x"])', "input: expected bits 0 "
        "and 1 (spaces optional), such as 0110 1, got '01x' at inputs[0]"),
    Api('fresh("parity").predict([ManyToOne(1, 4, 2)], [""])', "input: expected bits 0 and 1 "
        "(spaces optional), such as 0110 1, got '' at inputs[0]"),
    Api('task("translate").predict([model("translate")], [""])', "text: expected a sentence "
        "to translate, got an empty one at input:1"),
    Api('task("translate").predict([model("translate")], ["cold"], length_penalty=-1)',
        "length_penalty: expected a number >= 0, got -1"),
    Api('task("digits").predict([model("digits")], [np.zeros((2, 300))])', "wave: expected a "
        "path or a 1-D array of finite samples at 8000 Hz, got shape (2, 300)"),
    Api('task("digits").predict([model("digits")], [np.full(300, np.nan)])', "wave: expected "
        "a path or a 1-D array of finite samples at 8000 Hz, got NaN or infinity"),
    Api('task("digits").predict([model("digits")], [np.zeros(10)])', "wav: expected at least "
        "one analysis window (200 samples at 8000 Hz), got a wave with 10"),
    Api('task("digits").predict_wavs([model("digits")], ["{data}/wavs/3_bob_1.wav"])', "file: "
        "expected WAV files' bytes, got str"),
    Api('task("digit-sequences").predict([model("digit-sequences")], ["{bad}/text.wav"])',
        "wav: expected a readable WAV file, got '{bad}/text.wav'"),
    # the NumPy reference and runtime
    Api("elman.reference.forward.rnn_forward(np.zeros((2, 3)), [], 'tanh')", "x: expected a 3-D "
        "array (B, T, I) with T >= 1, got shape (2, 3)"),
    Api("elman.reference.forward.rnn_forward(np.zeros((2, 3, 4)), [], 'tanh')",
        "layers: expected a "
        "non-empty list of dicts with W_F, W_R, b, got list"),
    Api('runtime.load("{bad}/missing")', "checkpoint: expected a folder holding "
        "model.safetensors, best/ or checkpoint/, got '{bad}/missing'"),
    Api('runtime.load("{bad}/runs/lm-corrupt")', "checkpoint: expected a valid safetensors "
        "file at '{bad}/runs/lm-corrupt/best/model.safetensors', got a corrupt file",
        fixed="safetensors' own SafetensorError; now a checkpoint error, as elman.io's"),
    Api('runtime.load("{bad}/runs/lm-config-broken")', "checkpoint: expected a readable JSON "
        "file '{bad}/runs/lm-config-broken/best/config.json', got JSONDecodeError",
        fixed='a JSONDecodeError traceback (Expecting value: line 1 column 18 (char 17))'),
    Api('runtime.load("{bad}/runs/lm-nan")', "checkpoint: expected finite weights in "
        "'{bad}/runs/lm-nan/best/model.safetensors', got NaN or infinite values in "
        "rnn.layers.0.W_R",
        fixed='accepted: NaN weights loaded'),
    Api('(lambda m: m.step(35, m.initial_state()))(runtime.load("{runs}/lm"))', "token: "
        "expected a token id in 0..34, got 35", fixed="an IndexError from NumPy"),
    Api('runtime.load("{runs}/classify")(np.array([1.5]))', "x: expected a non-empty 1-D "
        "array of token ids in 0..30, got shape (1,) float64"),
    Api('runtime.load("{runs}/digits")(np.zeros((3, 5)))', "x: expected a (T, 8) array of "
        "features, T >= 1, got shape (3, 5)"),
    # the reply task's predict (what its route calls)
    Api(f'fresh("reply").predict([{DUAL}], [" "])', "text: expected a message with some "
        "words, got an empty one at inputs:1"),
    Api(f'fresh("reply").predict([{DUAL}], "hi")', "inputs: expected a list of messages, got "
        "one string"),
    Api(f'fresh("reply").predict([{DUAL}], [3])', "input: expected a message (a string), got "
        "int"),
    Api(f'fresh("reply").predict([{DUAL}, {DUAL}], ["hi"])', "models: expected one model "
        "(reply runs do not vote), got 2 models"),
    Api(f'fresh("reply").predict([{DUAL}], ["hi"], generate=True)', "generate: expected a run "
        "trained with --generator true, got a run without a generator"),
]
