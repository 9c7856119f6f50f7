"""Run folders and checkpoints: a folder that is not a run, and broken copies of the fixture
runs (a corrupt, missing or inconsistent file of best/ or checkpoint/), read by eval,
generate, summary, serve, export, predict and train --resume, and by ``checkpoint.load``."""

from .kinds import Api, Cli, Sub

R = "{bad}/runs"
CK = "checkpoint: expected"

CASES = [
    Cli("eval {data}", f"{CK} a folder holding model.safetensors, best/ or checkpoint/, got "
        "'tests/fixtures/v0/data' with none of them"),
    Cli("eval {data}/tiny.txt", f"{CK} a run folder or a checkpoint folder, got "
        "'tests/fixtures/v0/data/tiny.txt'"),
    Cli(f"eval {R}/lm-empty", f"{CK} a folder holding model.safetensors, best/ or "
        "checkpoint/, got '{bad}/runs/lm-empty' with none of them"),
    Cli(f"eval {R}/lm-nan", f"{CK} finite weights in '{{bad}}/runs/lm-nan/best/model."
        "safetensors', got NaN or infinite values in rnn.layers.0.W_R",
        fixed="a NaN weight loaded, and the first call failed with 'x: expected finite "
        "values' as if the user's input were wrong; now the checkpoint is refused, naming "
        "the file"),
    Sub(f"eval {R}/lm-nan", f"{CK} finite weights in '{{bad}}/runs/lm-nan/best/model."
        "safetensors', got NaN or infinite values in rnn.layers.0.W_R"),
    Cli(f"generate {R}/lm-inf --length 3", f"{CK} finite weights in '{{bad}}/runs/lm-inf/best/"
        "model.safetensors', got NaN or infinite values in output.bias",
        fixed='torch.multinomial raised on NaN probabilities (a RuntimeError)'),
    Cli(f"summary {R}/lm-nan", f"{CK} finite weights in '{{bad}}/runs/lm-nan/best/model."
        "safetensors', got NaN or infinite values in rnn.layers.0.W_R",
        fixed='accepted: a summary of NaN weights'),
    Cli(f"eval {R}/lm-int", f"{CK} output.bias as floating point, got torch.int64 in "
        "'{bad}/runs/lm-int/best/model.safetensors'"),
    Cli(f"eval {R}/lm-missing-tensor", f"{CK} the tensors of language_model in "
        "'{bad}/runs/lm-missing-tensor/best/model.safetensors', got missing ['output.bias'], "
        "unexpected []"),
    Cli(f"eval {R}/lm-corrupt", f"{CK} a valid safetensors file at "
        "'{bad}/runs/lm-corrupt/best/model.safetensors', got a corrupt file"),
    Cli(f"generate {R}/lm-corrupt", f"{CK} a valid safetensors file at "
        "'{bad}/runs/lm-corrupt/best/model.safetensors', got a corrupt file"),
    Cli(f"eval {R}/lm-config-broken", f"{CK} valid JSON in "
        "'{bad}/runs/lm-config-broken/best/config.json', got JSONDecodeError"),
    Cli(f"eval {R}/lm-config-missing", f"{CK} a file config.json in "
        "'{bad}/runs/lm-config-missing/best', got no such file"),
    Cli(f"eval {R}/lm-config-list", f"{CK} a JSON object in "
        "'{bad}/runs/lm-config-list/best/config.json', got list",
        fixed="an AttributeError ('list' object has no attribute 'get'); now a checkpoint "
        "error naming the file"),
    Cli(f"generate {R}/lm-format-new", f"{CK} a checkpoint of format 1 to 2 (what this elman "
        "reads), got format 3 in '{bad}/runs/lm-format-new/best/config.json', written by a "
        "newer elman: upgrade elman to load it",
        fixed="accepted: the format version was never read, so a newer format would fail "
        "later on whatever changed"),
    Cli(f"eval {R}/lm-format-old", f"{CK} a checkpoint of format 1 to 2 (what this elman "
        "reads), got format 0 in '{bad}/runs/lm-format-old/best/config.json', written by an "
        "elman older than any this one reads"),
    Cli(f"eval {R}/lm-format-none", f"{CK} a checkpoint of format 1 to 2 (what this elman "
        "reads), an integer under 'format' in '{bad}/runs/lm-format-none/best/config.json', "
        "got no format"),
    Cli(f"eval {R}/lm-no-architecture", f"{CK} the key 'architecture' in "
        "'{bad}/runs/lm-no-architecture/best/config.json', got no such key"),
    Cli(f"eval {R}/lm-architecture", f"{CK} a config.json that builds a model, got "
        "architecture: expected one of"),
    Cli(f"eval {R}/lm-architecture-list", f"{CK} a config.json that builds a model, got "
        "architecture: expected one of", fixed="a TypeError traceback (unhashable type: "
        "'list'), found by benchmarks/fuzz.py"),
    Cli(f"eval {R}/lm-arguments-list", f"{CK} a config.json that builds a model, got config: "
        "expected the arguments of language_model as an object, got list"),
    Cli(f"eval {R}/lm-train-number", f"{CK} settings in '{{bad}}/runs/lm-train-number/best/"
        "config.json' that elman accepts, got config: expected the train settings as an "
        "object, got int", fixed="an AttributeError traceback ('int' object has no attribute "
        "'items'), found by benchmarks/fuzz.py"),
    Cli(f"eval {R}/lm-arguments", f"{CK} a config.json that builds a model, got "
        "hidden_sizes: expected a positive int or a non-empty list of positive ints, got [-1]"),
    Cli(f"eval {R}/lm-arguments-key", f"{CK} a config.json that builds a model, got config: "
        "expected the arguments of language_model"),
    Cli(f"eval {R}/lm-huge", f"{CK} a config.json that builds a model, got hidden_sizes: "
        "expected layer widths whose weights fit in this machine's memory",
        fixed="torch's allocator raised a RuntimeError for the checkpoint's sizes; "
        "now refused before allocating"),
    Sub(f"eval {R}/lm-huge", f"{CK} a config.json that builds a model, got hidden_sizes: "
        "expected layer widths whose weights fit in this machine's memory"),
    Cli(f"eval {R}/lm-big", f"{CK} rnn.layers.0.W_F of shape (60000, 4) (from config.json), "
        "got shape (12, 4) in '{bad}/runs/lm-big/best/model.safetensors'",
        fixed="the model was built first: 4.8 GB of weights for a file of a few KB; now its "
              "shapes are checked on the meta device, before allocating"),
    Cli(f"eval {R}/lm-shape", f"{CK} rnn.layers.0.W_F of shape (15, 4) (from config.json), "
        "got shape (12, 4) in '{bad}/runs/lm-shape/best/model.safetensors'"),
    Cli(f"eval {R}/lm-task", f"{CK} a run of one of the tasks"),
    Cli(f"eval {R}/lm-setting", f"{CK} settings in '{{bad}}/runs/lm-setting/best/config.json' "
        "that elman accepts, got lr: expected a number > 0, got -1.0",
        fixed="the bad setting was reported as if given on the command line (lr: ...); "
        "now as the checkpoint's, naming its config.json"),
    Cli(f"eval {R}/lm-vocab-missing", f"{CK} a file vocab.json in "
        "'{bad}/runs/lm-vocab-missing/best', got no such file"),
    Cli(f"eval {R}/lm-vocab-broken", f"{CK} valid JSON in "
        "'{bad}/runs/lm-vocab-broken/best/vocab.json', got JSONDecodeError"),
    Cli(f"eval {R}/lm-vocab-twice", f"{CK} a valid vocabulary in "
        "'{bad}/runs/lm-vocab-twice/best/vocab.json', got vocab.tokens: expected distinct "
        "tokens"),
    Cli(f"eval {R}/lm-vocab-short", f"{CK} a vocabulary of 35 tokens in vocab.json, got 34 "
        "tokens"),
    Cli(f"eval {R}/lm-vocab-list", f"{CK} a valid vocabulary in "
        "'{bad}/runs/lm-vocab-list/best/vocab.json', got vocab: expected a mapping with "
        "'level', 'tokens' and 'unk', got list"),
    Cli(f"export {R}/lm-nan", f"{CK} finite weights in '{{bad}}/runs/lm-nan/best/model."
        "safetensors', got NaN or infinite values in rnn.layers.0.W_R",
        fixed='accepted: NaN weights exported'),
    Cli(f"serve {R}/lm-nan", f"{CK} finite weights in '{{bad}}/runs/lm-nan/best/model."
        "safetensors', got NaN or infinite values in rnn.layers.0.W_R",
        fixed='accepted: NaN weights served'),
    Cli(f"predict {R}/classify-labels --input {{data}}/classify.tsv", f"{CK} a file task.json "
        "in '{bad}/runs/classify-labels/best' (what the classify task keeps beside the "
        "model), got no such file", fixed="a TypeError in predict (the labels were None); now "
        "refused on loading, for every task that keeps a task.json"),
    Cli(f"eval {R}/digits-task --data {{data}}/wavs", f"{CK} a task.json with the feature "
        "settings and normaliser (and the labels of a classifier), got KeyError: "
        "'normaliser'"),
    Cli(f"forecast {R}/forecast-scaler --steps 2", f"{CK} a task.json with the scaler's mean "
        "and std (numbers), got mean 'high', std 7.152779548861101", fixed="a NumPy "
        "UFuncTypeError when forecasting; now refused on loading"),
    Cli(f"translate {R}/translate-task 'I am cold.'", f"{CK} a file task.json in "
        "'{bad}/runs/translate-task/best' (what the translate task keeps beside the model), "
        "got no such file",
        fixed="a TypeError traceback (unsupported operand type(s) for *: 'int' and 'NoneType')"),
    # train --resume
    Cli(f"train --resume {R}/lm-step --max-steps 6", f"{CK} a complete trainer_state.json in "
        "'{bad}/runs/lm-step/checkpoint', got step: expected an integer >= 0, got 'ten'",
        fixed="the string reached the training loop, a TypeError traceback; now every "
        "field of trainer_state.json is checked on resume"),
    Sub(f"train --resume {R}/lm-step --max-steps 6", f"{CK} a complete trainer_state.json in "
        "'{bad}/runs/lm-step/checkpoint', got step: expected an integer >= 0, got 'ten'"),
    Cli(f"train --resume {R}/lm-best-score --max-steps 6", f"{CK} a complete "
        "trainer_state.json in '{bad}/runs/lm-best-score/checkpoint', got best_score: "
        "expected a number or null, got 'low'",
        fixed="a TypeError traceback ('<' not supported between instances of 'float' and 'str')"),
    Cli(f"train --resume {R}/lm-rng --max-steps 6", f"{CK} a complete trainer_state.json in "
        "'{bad}/runs/lm-rng/checkpoint', got rng: expected a saved random generator state "
        "(base64), got 'not base64!'"),
    Cli(f"train --resume {R}/lm-world --max-steps 6", "nproc: expected 2 (the run in "
        "'{bad}/runs/lm-world/checkpoint' was trained with 2 processes; resume it with as "
        "many), got 1"),
    Cli(f"train --resume {R}/lm-world-text --max-steps 6", f"{CK} a complete "
        "trainer_state.json in '{bad}/runs/lm-world-text/checkpoint', got world_size: "
        "expected an integer >= 1, got 'two'"),
    Cli(f"train --resume {R}/lm-no-step --max-steps 6", f"{CK} a complete trainer_state.json "
        "in '{bad}/runs/lm-no-step/checkpoint', got step: expected a value, got none"),
    Cli(f"train --resume {R}/lm-state-missing --max-steps 6", f"{CK} a file "
        "trainer_state.json in '{bad}/runs/lm-state-missing/checkpoint', got no such file"),
    Cli(f"train --resume {R}/lm-state-list --max-steps 6", f"{CK} a JSON object in "
        "'{bad}/runs/lm-state-list/checkpoint/trainer_state.json', got list"),
    Cli(f"train --resume {R}/lm-optimizer --max-steps 6", f"{CK} a valid safetensors file at "
        "'{bad}/runs/lm-optimizer/checkpoint/optimizer.safetensors', got a corrupt file"),
    Cli(f"train --resume {R}/lm-stream --max-steps 6", f"{CK} a valid safetensors file at "
        "'{bad}/runs/lm-stream/checkpoint/stream_state.safetensors', got a corrupt file"),
    Cli(f"train --resume {R}/lm-data --max-steps 6", "data: expected the text the resumed "
        "run was trained on, got a different text from 'tests/fixtures/v0/data/pairs.tsv'"),
    Cli(f"train --resume {R}/classify-average --max-steps 6", f"{CK} a file "
        "average.safetensors in '{bad}/runs/classify-average/checkpoint' (the run keeps a "
        "moving average, ema), got no such file"),
    Cli(f"train --resume {R}/lm-nan/best --max-steps 6", "resume: expected a run folder (the "
        "one holding checkpoint/ and best/), got the checkpoint folder '{bad}/runs/lm-nan/best'"),
    # checkpoint.load in Python
    Api(f'checkpoint.load("{R}/lm-nan")', f"{CK} finite weights in "
        "'{bad}/runs/lm-nan/best/model.safetensors', got NaN or infinite values in "
        "rnn.layers.0.W_R",
        fixed='accepted: NaN weights loaded'),
    Api(f'checkpoint.load("{R}/lm-corrupt")', f"{CK} a valid safetensors file"),
    Api(f'checkpoint.load("{R}/lm-state-missing/checkpoint", training=True)', f"{CK} a file "
        "trainer_state.json in '{bad}/runs/lm-state-missing/checkpoint', got no such file"),
    Api(f'elman.load("{R}/lm-format-new")', f"{CK} a checkpoint of format 1 to 2 (what this "
        "elman reads), got format 3 in '{bad}/runs/lm-format-new/best/config.json', written "
        "by a newer elman: upgrade elman to load it"),
    Api(f'elman.load("{R}/lm-format-old")', f"{CK} a checkpoint of format 1 to 2 (what this "
        "elman reads), got format 0"),
    Api('elman.load("{bad}/missing")', f"{CK} a run folder or a checkpoint folder, got "
        "'{bad}/missing'"),
    Api('elman.load("{runs}/classify").predict("a cold story")', "inputs: expected a list of "
        "inputs (one answer each), got str"),
    Api('checkpoint.load("{bad}/missing")', f"{CK} a run folder or a checkpoint folder, got "
        "'{bad}/missing'"),
    Api('build("transformer", {})', "architecture: expected one of ['captioner', "
        "'dual_encoder', 'encoder_decoder', 'frames', 'language_model', 'many_to_many', "
        "'many_to_one', 'one_to_many', 'tagger'], got 'transformer'"),
    Api('build("language_model", {"vocab_size": 5})', "config: expected the arguments of "
        "language_model, got {'vocab_size': 5}"),
    # broken copies of the runs of tests/fixtures/v1
    Cli(f"eval {R}/frames-task", f"{CK} a task.json with the labels, frame_shape, encoder and "
        "reads, got KeyError: 'frame_shape'"),
    Cli(f"predict {R}/frames-labels --input {{data1}}/digit.png", f"{CK} a model with one "
        "output per label of task.json (3), got 10 outputs",
        fixed="an IndexError (a traceback)"),
    Cli(f"caption {R}/caption-task {{data1}}/row.png", f"{CK} a file task.json in "
        "'{bad}/runs/caption-task/best' (what the caption task keeps beside the model), got no "
        "such file"),
    Cli(f"caption {R}/caption-vocab {{data1}}/row.png", f"{CK} a task.json readable by the "
        "caption task at '{bad}/runs/caption-vocab/best', got KeyError: '</s>'"),
    Cli(f"reply {R}/reply-replies hi", f"{CK} a task.json whose replies are a non-empty list of "
        "texts, got replies 5", fixed="a TypeError (a traceback)"),
    Cli(f"serve {R}/reply-replies", f"{CK} a task.json whose replies are a non-empty list of "
        "texts, got replies 5", fixed="a TypeError (a traceback)"),
    Cli(f"eval {R}/reply-task", f"{CK} a file task.json in '{{bad}}/runs/reply-task/best' (what "
        "the reply task keeps beside the model), got no such file"),
    Cli(f"eval {R}/parity-length", f"{CK} settings in '{{bad}}/runs/parity-length/best/"
        "config.json' that elman accepts, got length: expected an integer >= 1, got 0"),
]
