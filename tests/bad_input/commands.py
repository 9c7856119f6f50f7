"""Every command's flags and arguments: train (the model, training and each task's settings,
config files, recipes, --resume), eval, generate, next, predict, translate, reply, caption,
transcribe, forecast, export, summary, diagnose, serve and recipes, and the command line
itself."""

from .kinds import OK, Cli, Sub

T = "train --data {data}/tiny.txt"          # a quick lm run to start
SIZE = "layer widths whose weights fit in this machine's memory"
LR = "a number > 0 and at most 1000 (larger steps overflow the weights)"
COMMANDS = ("train, eval, generate, next, export, predict, transcribe, forecast, translate, "
            "reply, caption, serve, recipes, summary, diagnose, prepare")

CASES = [
    # elman prepare
    Cli("prepare --data '{data}/nope*.txt' --out {tmp}/p", "data: expected a text file or a "
        "glob matching some (e.g. 'books/*.txt'), got '{data}/nope*.txt'"),
    Cli("prepare --data {bad}/latin1.txt --out {tmp}/p", "data: expected UTF-8 text files, got "
        "'{bad}/latin1.txt' with byte 0xe9 at offset 3 that is not UTF-8"),
    Cli("prepare --data {bad}/blank.txt --out {tmp}/p --level word", "data: expected a text of "
        "at least 2 tokens, got 0 in '{bad}/blank.txt'"),
    Cli("prepare --data {data}/tiny.txt --out {tmp}/p --level byte", "level: expected one of "
        "['char', 'word', 'subword'], got 'byte'"),
    Cli("prepare --data {data}/tiny.txt --out {tmp}/p --level subword --subwords 0",
        "subwords: expected an integer >= 1, got 0"),
    Cli("prepare --data {data}/tiny.txt --out {tmp}/p --level subword --subwords 3",
        "subwords: expected a vocabulary size sentencepiece can reach on this data, got 3 "
        "(INTERNAL: src/trainer_interface.cc(638) [(static_cast<int>(required_chars_.size() + "
        "meta_pieces_.size())) <= (trainer_spec_.vocab_size())] Vocabulary size is smaller "
        "than required_chars. 3 vs 35. Increase vocab_size or decrease character_coverage "
        "with --character_coverage option.)"),
    Cli("prepare --data {data}/tiny.txt", "out: expected a value (--out is required), got none"),
    Cli("prepare --data {data}/tiny.txt --out {data}", "out: expected a new folder, an empty one "
        "or an earlier prepared folder (it is replaced whole), got '{data}', which holds other "
        "files"),
    Cli("prepare --data {data}/tiny.txt --out {data}/tiny.txt", "out: expected a folder to "
        "write the prepared corpus in, got '{data}/tiny.txt', which is a file"),
    Cli(f"{T} --data {{bad}}/prepared-new", "data: expected a prepared folder of format 1 (elman "
        "prepare), got format 2 in '{bad}/prepared-new/prepared.json', written by a newer "
        "elman: upgrade elman"),
    Cli(f"{T} --data {{bad}}/prepared-chars --level word", "data: expected a folder prepared "
        "with the run's level 'word' (elman prepare --level word, or train with --level char), "
        "got level 'char' in '{bad}/prepared-chars'"),
    Cli(f"{T} --data {{bad}}/prepared-short", "data: expected tokens.bin of 10 uint8 ids (10 "
        "bytes), got 5 bytes in '{bad}/prepared-short'"),
    # the command line
    Cli("", f"command: expected one of {COMMANDS} (see elman --help), got none"),
    Cli("bogus", f"command: expected one of {COMMANDS}, got 'bogus'"),
    Cli("eval", "RUN: expected a run folder (elman eval RUN), got none",
        fixed="argparse's 'the following arguments are required' was not in the form; "
        "now RUN: expected ..."),
    Cli("generate", "RUN: expected a run folder (elman generate RUN), got none",
        fixed="argparse's message, not in the form: 'generate: the following arguments are "
              "required: RUN'"),
    Cli("train --bogus 1", "arguments: expected options listed by --help, got unrecognized "
        "--bogus 1"),
    Cli("train --lr", "lr: expected a value after --lr, got none",
        fixed="argparse's 'argument --lr: expected one argument' was not in the form"),
    Cli("recipes NOPE", "recipe: expected one of"),
    # train: the model
    Cli("train --cell rnn", "cell: expected one of ['elman', 'lstm', 'gru'], got 'rnn'"),
    Cli("train --hidden-sizes 0", "hidden_sizes: expected positive layer widths such as 256 "
        "or 256,256, got [0]"),
    Cli("train --hidden-sizes 4,x", "hidden_sizes: expected an integer, got 'x'"),
    Cli("train --hidden-sizes ,", "hidden_sizes: expected positive layer widths such as 256 "
        "or 256,256, got ','"),
    Cli("train --hidden-sizes -4", "hidden_sizes: expected positive layer widths"),
    Cli(f"{T} --hidden-sizes 1000000000", f"hidden_sizes: expected {SIZE}",
        fixed="torch's allocator raised a RuntimeError (a traceback); now a check of the "
        "weights' bytes against the memory available, before allocating"),
    Cli(f"{T} --hidden-sizes 4,1000000000", f"hidden_sizes: expected {SIZE}",
        fixed="torch's allocator raised a RuntimeError (a traceback); now refused before "
              "allocating"),
    Cli(f"{T} --embed-dim 1000000000", "embed_dim: expected an embedding that fits in this "
        "machine's memory", fixed="torch's allocator raised a RuntimeError for the "
        "embedding table; now checked first"),
    Cli(f"{T} --max-memory 9M", "batch_size: expected a batch whose training fits in this "
        "machine's memory (9 MiB by --max-memory; --max-memory raises the limit), got 32 "
        "sequences of 100 steps: ", fixed="the weights alone were checked; now also their "
        "gradients, the optimizer's state and the activations of T steps of B sequences"),
    Sub(f"{T} --max-memory 9M", "batch_size: expected a batch whose training fits"),
    Cli(f"{T} --max-memory 1M", "hidden_sizes: expected layer widths whose weights fit in "
        "this machine's memory (1 MiB by --max-memory), got [384]: 517,632 weights"),
    Cli("train --max-memory 12x", "max_memory: expected a size such as 512M, 64G or 1.5T, "
        "got '12x'"),
    Cli("train --max-memory 0", "max_memory: expected a size such as 512M, 64G or 1.5T, "
        "got '0'"),
    Cli("train --embed-dim 0", "embed_dim: expected an integer >= 1, got 0"),
    Cli("train --embed-dim 2.5", "embed_dim: expected an integer, got '2.5'"),
    Cli("train --activation swish", "activation: expected one of ['identity', 'relu', "
        "'sigmoid', 'tanh'], got 'swish'"),
    Cli(f"{T} --cell gru --activation relu", "activation: expected 'tanh' for cell='gru'"),
    Cli("train --dropout 1", "dropout: expected a number in [0, 1), got 1.0"),
    Cli("train --dropout -0.1", "dropout: expected a number in [0, 1), got -0.1"),
    Cli("train --dropout nan", "dropout: expected a finite number, got nan"),
    Cli("train --recurrent-init eye", "recurrent_init: expected one of ['uniform', "
        "'identity', 'orthogonal', 'indrnn'], got 'eye'"),
    Cli("train --recurrent-scale inf", "recurrent_scale: expected a finite number, got inf"),
    Cli("train --input-scale nan", "input_scale: expected a finite number, got nan"),
    Cli(f"{T} --cell elman --chrono 100", "chrono: expected 0, or an integer >= 3 for a gated "
        "cell (lstm or gru), got 100 for an ElmanCell"),
    Cli("train --chrono -1", "chrono: expected an integer >= 0, got -1"),
    Cli("train --recurrent-constraint unitary", "recurrent_constraint: expected one of "
        "['none', 'diagonal'], got 'unitary'"),
    Cli("train --task frames --target frame", "target: expected clip for clips without a "
        "label per frame (sequential images"),
    Cli("train --task frames --permute true", "permute: expected false unless pixels is true"),
    Cli("train --task frames --clips moving --frames-min 30", "frames_min: expected at most "
        "frames_max (20), got 30"),
    Cli("train --task frames --frames-min 1", "frames_min: expected an integer >= 2, got 1"),
    Cli("train --task frames --clips moving --digits-per-clip 2", "frame_size: expected at "
        "least 34 pixels for 2 digit(s) of 14 pixels moving up to 3 a frame, got 32"),
    Cli("train --task frames --encoder cnn --examples 20", "channels: expected at "
        "most as many convolutions as halvings"),
    Cli("train --bidirectional maybe", "bidirectional: expected true or false, got 'maybe'"),
    Cli(f"{T} --bidirectional true", "bidirectional: expected false for a language model (a "
        "reverse direction would read the token it predicts), got True",
        fixed="accepted and ignored: the run trained a one-way model; now refused"),
    Cli("train --task music --data {data}/music.json --bidirectional true", "bidirectional: "
        "expected false for the music task (a reverse direction would read the frame it "
        "predicts), got True",
        fixed='accepted and ignored: a one-way model was trained'),
    # train: data and training
    Cli("train --data {bad}/missing.txt", "data: expected an existing file, got "
        "'{bad}/missing.txt'"),
    Cli("train --data {bad}/wavs-empty", "data: expected an existing file, got "
        "'{bad}/wavs-empty'"),
    Cli(f"{T} --valid {{bad}}/missing.txt", "valid: expected none for the lm task (it holds out "
        "a seeded valid_fraction of --data, in split_blocks blocks), got '{bad}/missing.txt'",
        fixed="--valid was ignored by the lm task (it validated on its own held-out blocks); "
        "now refused"),
    Cli("train --valid-fraction 1", "valid_fraction: expected a number in [0, 1), got 1.0"),
    Cli("train --valid-fraction -0.5", "valid_fraction: expected a number in [0, 1), got -0.5"),
    Cli("train --split-seed -1", "split_seed: expected an integer >= 0, got -1"),
    Cli("train --seq-len 0", "seq_len: expected an integer >= 1, got 0"),
    Cli("train --batch-size 0", "batch_size: expected an integer >= 1, got 0"),
    Cli("train --batch-size 1.5", "batch_size: expected an integer, got '1.5'"),
    Cli("train --bptt half", "bptt: expected one of ['truncated', 'full'], got 'half'"),
    Cli("train --optimizer rmsprop", "optimizer: expected one of ['adam', 'sgd'], got "
        "'rmsprop'"),
    Cli("train --lr -1", "lr: expected a number > 0, got -1.0"),
    Cli("train --lr 0", "lr: expected a number > 0, got 0.0"),
    Cli("train --lr inf", "lr: expected a finite number, got inf"),
    Cli("train --lr nan", "lr: expected a finite number, got nan"),
    Cli(f"{T} --lr 1e38", f"lr: expected {LR}, got 1e+38",
        fixed="Adam's first step overflowed the weights to inf and NaN; now refused"),
    Cli("train --momentum 1", "momentum: expected a number in [0, 1), got 1.0"),
    Cli("train --weight-decay -1", "weight_decay: expected a number >= 0, got -1.0"),
    Cli("train --lr-schedule linear", "lr_schedule: expected one of ['constant', 'cosine', "
        "'step', 'plateau'], got 'linear'"),
    Cli("train --warmup -1", "warmup: expected an integer >= 0, got -1"),
    Cli("train --lr-step-size 0", "lr_step_size: expected an integer >= 1, got 0"),
    Cli("train --lr-gamma 0", "lr_gamma: expected a number > 0, got 0.0"),
    Cli("train --lr-patience 0", "lr_patience: expected an integer >= 1, got 0"),
    Cli("train --ema 1", "ema: expected a number in [0, 1), got 1.0"),
    Cli("train --clip 0", "clip: expected a number > 0, got 0.0"),
    Cli("train --max-steps 0", "max_steps: expected an integer >= 1, got 0"),
    Cli("train --max-minutes 0", "max_minutes: expected a number > 0, got 0.0"),
    Cli("train --eval-every 0", "eval_every: expected an integer >= 1, got 0"),
    Cli("train --diagnose-every 0", "diagnose_every: expected an integer >= 1, got 0"),
    Cli("train --eval-batches 0", "eval_batches: expected an integer >= 1, got 0"),
    Cli(f"{T} --monitor bleu", "monitor: expected a figure the lm task reports (loss), got "
        "'bleu'"),
    Cli("train --monitor ''", "monitor: expected a non-empty string, got ''"),
    Cli("train --patience 0", "patience: expected an integer >= 1, got 0"),
    Cli("train --seed -1", "seed: expected an integer >= 0, got -1"),
    Cli("train --seed x", "seed: expected an integer, got 'x'"),
    Cli(f"{T} --out {{runs}}/lm", "out: expected a new or empty folder (use --resume RUN to "
        "continue a run), got 'tests/fixtures/v0/runs/lm'"),
    Cli(f"{T} --out {{data}}/tiny.txt", "out: expected a new or empty folder"),
    Cli(f"{T} --device cuda:7", "device: expected an available device"),
    Cli(f"{T} --device toaster", "device: expected a torch device such as cpu, cuda or cuda:0, "
        "got 'toaster'"),
    Cli("train --quiet yes", "arguments: expected options listed by --help, got unrecognized "
        "yes"),
    # train: tasks, recipes, config files
    Cli("train --task nope", "task: expected one of"),
    Cli("train --task tag --vectors wordllama", "arguments: expected options listed by --help, "
        "got unrecognized --vectors wordllama"),
    Cli("train --s 3", "arguments: expected one option, not a prefix of several",
        fixed="argparse's 'ambiguous option' message, not in the form"),
    Cli("train --task sort --data {data}/tiny.txt", "data: expected none: the sort task "
        "generates its data"),
    Cli("train --task classify", "data: expected a file (--data FILE) for the classify task, "
        "got none"),
    Cli("train --task music", "data: expected a JSON file of pieces (--data FILE) for the "
        "music task, got none"),
    Cli("train --task digits", "data: expected a folder of WAV files (--data DIR) for the "
        "digits task, got none"),
    Cli("train --recipe NOPE", "recipe: expected one of"),
    Cli("train --config {bad}/missing.yaml", "config: expected an existing .yaml, .yml or "
        ".toml file, got '{bad}/missing.yaml'"),
    Cli("train --config {bad}/settings.json", "config: expected a file ending in .yaml, .yml "
        "or .toml, got '{bad}/settings.json'"),
    Cli("train --config {bad}/broken.yaml", "config: expected valid YAML or TOML, got "
        "'{bad}/broken.yaml'"),
    Cli("train --config {bad}/broken.toml", "config: expected valid YAML or TOML, got "
        "'{bad}/broken.toml'"),
    Cli("train --config {bad}/latin1.yaml", "config: expected valid YAML or TOML"),
    Cli("train --config {bad}/list.yaml", "config: expected a mapping of settings, got list "
        "in {bad}/list.yaml"),
    Cli("train --config {bad}/unknown-key.yaml", "config: expected settings of the lm task "
        "(see elman train --task lm --help), got unknown key 'learning_rate' from "
        "{bad}/unknown-key.yaml"),
    Cli("train --config {bad}/section-key.yaml", "config: expected model settings of the lm "
        "task among"),
    Cli("train --config {bad}/bad-value.yaml", "hidden_sizes: expected positive layer widths"),
    Cli("train --config {bad}/unknown-task.yaml", "task: expected one of"),
    Cli("train --config {bad}/tag-vectors.yaml", "config: expected settings of the tag task "
        "(see elman train --task tag --help), got unknown key 'vectors' from "
        "{bad}/tag-vectors.yaml"),
    Cli("train --nproc 0", "nproc: expected a whole number of processes >= 1, got '0'"),
    Cli("train --nproc two", "nproc: expected a whole number of processes >= 1, got 'two'"),
    Cli("train --task lm --nproc", "nproc: expected a value after --nproc, got none"),
    Cli(f"{T} --nproc 2 --device cuda:1", "device: expected cuda with --nproc 2 (process r "
        "trains on cuda:r; pick the GPUs with CUDA_VISIBLE_DEVICES, e.g. "
        "CUDA_VISIBLE_DEVICES=2,3 elman train --nproc 2 --device cuda), got 'cuda:1'",
        fixed="accepted: every process trained on cuda:1"),
    Cli(f"{T} --nproc 2 --device toaster", "device: expected a torch device such as cpu, "
        "cuda or cuda:0, got 'toaster'",
        fixed="each of the 2 processes printed the same error"),
    Cli("train --resume {bad}/missing", "resume: expected a run folder, got '{bad}/missing' "
        "(no such folder)"),
    Cli("train --resume {bad}/runs/lm-step --recipe main", "recipe: expected none when resuming "
        "(--resume keeps the run's settings), got 'main'"),
    Cli("train --resume {bad}/runs/lm-step --seq-len 32", "seq_len: expected the resumed "
        "run's value 16 (it is fixed on resume), got 32"),
    Cli("train --resume {bad}/runs/lm-step --hidden-sizes 8", "hidden_sizes: expected the "
        "resumed run's value [4] (it is fixed on resume), got [8]"),
    Cli("train --resume {bad}/runs/lm-step --task tag", "task: expected the resumed run's "
        "task 'lm' (it is fixed on resume), got 'tag'"),
    # train: each task's settings
    Cli("train --task lm --level syllable", "level: expected one of ['char', 'word', "
        "'subword'], got 'syllable'"),
    Cli("train --task lm --subwords 0", "subwords: expected an integer >= 1, got 0"),
    Cli(f"{T} --level subword --subwords none", "subwords: expected the pieces of the subword "
        "model (an integer >= 1), got None"),
    Cli(f"{T} --level subword --subwords 3", "subwords: expected a vocabulary size "
        "sentencepiece can reach on this data, got 3 (INTERNAL: src/trainer_interface.cc(638) "
        "[(static_cast<int>(required_chars_.size() + meta_pieces_.size())) <= "
        "(trainer_spec_.vocab_size())] Vocabulary size is smaller than required_chars. 3 vs "
        "35. Increase vocab_size or decrease character_coverage with --character_coverage "
        "option.)"),
    Cli("train --task lm --min-count 0", "min_count: expected an integer >= 1, got 0"),
    Cli("train --task lm --split-blocks 0", "split_blocks: expected an integer >= 1, got 0"),
    Cli("train --task lm --sample-length -1", "sample_length: expected an integer >= 0, got -1"),
    Cli("train --task lm --temperature 0", "temperature: expected a number > 0, got 0.0"),
    Cli("train --task lm --top-k 0", "top_k: expected an integer >= 1, got 0"),
    Cli("train --task classify --vectors glove", "vectors: expected one of"),
    Cli("train --task classify --header maybe", "header: expected one of ['auto', 'yes', 'no'], "
        "got 'maybe'"),
    Cli("train --task classify --pooling median", "pooling: expected one of ['last', 'max', "
        "'mean'], got 'median'"),
    Cli("train --task classify --word-dropout 1", "word_dropout: expected a number in [0, 1), "
        "got 1.0"),
    Cli("train --task classify --embed-dropout -1", "embed_dropout: expected a number in "
        "[0, 1), got -1.0"),
    Cli("train --task tag --tag-field deprel", "tag_field: expected one of ['upos', 'xpos'], "
        "got 'deprel'"),
    Cli("train --task tag --char-dim -1", "char_dim: expected an integer >= 0, got -1"),
    Cli("train --task tag --char-hidden 0", "char_hidden: expected an integer >= 1, got 0"),
    Cli("train --task forecast --window 0", "window: expected an integer >= 1, got 0"),
    Cli("train --task forecast --horizon 0", "horizon: expected an integer >= 1, got 0"),
    Cli("train --task forecast --forecast-shape one_to_one", "forecast_shape: expected one of "
        "['many_to_one', 'many_to_many'], got 'one_to_one'"),
    Cli("train --task forecast --missing drop", "missing: expected one of ['error', "
        "'interpolate'], got 'drop'"),
    Cli("train --task forecast --test-fraction 1", "test_fraction: expected a number in "
        "[0, 1), got 1.0"),
    Cli("train --task forecast --arima-order 1,2", "arima_order: expected auto or an ARIMA "
        "order p,d,q such as 2,0,1, got '1,2'"),
    Cli("train --task forecast --arima-order 1,-1,0", "arima_order: expected an integer >= 0, "
        "got -1"),
    Cli("train --task forecast --data {data}/series.csv --window 200", "window: expected "
        "window + horizon <= the 108 training values"),
    Cli("train --task forecast --data {data}/series.csv --test-fraction 0.95", "test_fraction: "
        "expected less than 1 - valid_fraction (0.9): some values must train, got 0.95"),
    Cli("train --task forecast --data {data}/series.csv --horizon 50", "horizon: expected at "
        "most the 12 validation values (valid_fraction 0.1 of 120), got 50"),
    Cli("train --task music --embed-dropout 1", "embed_dropout: expected a number in [0, 1), "
        "got 1.0"),
    Cli("train --task digits --features mel", "features: expected one of ['logmel', 'mfcc'], "
        "got 'mel'"),
    Cli("train --task digits --sample-rate 0", "sample_rate: expected an integer >= 1, got 0"),
    Cli("train --task digits --n-mels 0", "n_mels: expected an integer >= 1, got 0"),
    Cli("train --task digits --hop-ms 0", "hop_ms: expected a number > 0, got 0.0"),
    Cli("train --task digits --window-ms -5", "window_ms: expected a number > 0, got -5.0"),
    Cli("train --task digits --pooling first", "pooling: expected one of ['last', 'max', "
        "'mean'], got 'first'"),
    Cli("train --task digit-sequences --max-digits 0", "max_digits: expected an integer >= 1, "
        "got 0"),
    Cli("train --task digit-sequences --utterances 0", "utterances: expected an integer >= 1, "
        "got 0"),
    Cli("train --task sort --length 0", "length: expected"),
    Cli("train --task sort --length 5-2", "length: expected"),
    Cli("train --task sort --length x", "length: expected"),
    Cli("train --task sort --valid-size 0", "valid_size: expected an integer >= 1, got 0"),
    Cli("train --task sort --train-size 0", "train_size: expected an integer >= 1, got 0"),
    Cli("train --task sort --vocab 0", "vocab: expected an integer >= 1, got 0"),
    Cli("train --task sort --attention dot", "attention: expected one of"),
    Cli("train --task sort --teacher-forcing 2", "teacher_forcing: expected a number in "
        "[0, 1], got 2.0"),
    Cli("train --task sort --teacher-forcing-steps 0", "teacher_forcing_steps: expected an "
        "integer >= 1, got 0"),
    Cli("train --task sort --label-smoothing -1", "label_smoothing: expected a number in "
        "[0, 1], got -1.0"),
    Cli("train --task add --vocab 5", "arguments: expected options listed by --help, got "
        "unrecognized --vocab 5"),
    Cli("train --task adding --length 1", "length: expected an integer >= 2 (one marked value "
        "in each half), got 1"),
    Cli("train --task parity --length 0", "length: expected an integer >= 1, got 0"),
    Cli("train --task parity --target all", "target: expected one of ['end', 'every'], got "
        "'all'"),
    Cli("train --task adding --valid-size 0", "valid_size: expected an integer >= 1, got 0"),
    Cli("train --task copy-memory --symbols 0", "symbols: expected an integer >= 1, got 0"),
    Cli("train --task copy-memory --memorize 0", "memorize: expected an integer >= 1, got 0"),
    Cli("train --task copy-memory --symbols 1000000000000", "symbols: expected sequences that "
        "fit in this machine's memory"),
    Cli("train --task adding --length 100000000000", "length: expected sequences that fit in "
        "this machine's memory"),
    Cli("train --task parity --data {data}/tiny.txt", "data: expected none: the parity task "
        "generates its data"),
    Cli("train --task translate --max-words 0", "max_words: expected an integer >= 1, got 0"),
    Cli("train --task translate --subwords 0", "subwords: expected an integer >= 1, got 0"),
    Cli("train --task translate --data {data}/pairs.tsv --max-words 1", "max_words: expected a "
        "limit that keeps some pairs of 'tests/fixtures/v0/data/pairs.tsv', got 1, which "
        "keeps none"),
    Cli("train --task caption --layout diagonal", "layout: expected one of ['row', 'above', "
        "'mixed'], got 'diagonal'"),
    Cli("train --task caption --channels 2", "channels: expected 1 (grey) or 3 (RGB), got 2"),
    Cli("train --task caption --channels 3", "channels: expected 1 for digit composites (they "
        "are grey), got 3"),
    Cli("train --task caption --max-digits 5", "max_digits: expected at most width // 28 = 4 "
        "digits in a row (and height >= 28), got 5"),
    Cli("train --task caption --min-digits 5", "min_digits: expected an int in 1..max_digits "
        "(4), got 5"),
    Cli("train --task caption --height 50", "height: expected at least 56 pixels for digits "
        "above one another (layout above or mixed), got 50"),
    Cli("train --task caption --conv-channels 16,0", "conv_channels: expected positive layer "
        "widths such as 256 or 256,256, got [16, 0]"),
    Cli("train --task caption --examples 4 --valid-examples 2 --bidirectional true",
        "bidirectional: expected false for the caption task (the decoder writes left to "
        "right), got True"),
    # eval
    Cli("eval {runs}/lm --split test", "split: expected valid (the lm task keeps no test "
        "split; score a held-out file with --data PATH), got 'test'"),
    Cli("eval {runs}/lm --split train", "split: expected one of ['valid', 'test'], got "
        "'train'"),
    Cli("eval {runs}/lm --split valid --data {data}/tiny.txt", "split: expected no --split "
        "with --data (the file is scored), got 'valid'"),
    Cli("eval {runs}/lm --batch-size 0", "batch_size: expected an integer >= 1, got 0"),
    Cli("eval {runs}/lm --seq-len x", "seq_len: expected an integer, got 'x'"),
    Cli("eval {runs}/lm --json yes", "arguments: expected options listed by --help, got "
        "unrecognized yes"),
    Cli("eval {runs}/lm --split", "split: expected a value after --split, got none",
        fixed="argparse's 'eval RUN: argument --split: expected one argument' was not in the "
        "form"),
    Cli("eval {runs}/classify --data {data}/classify.tsv --plot {tmp}/missing/c.png",
        "plot: expected a file in an existing folder, got '{tmp}/missing/c.png'",
        fixed="the error named elman's temporary file (.c.png.XXXX.tmp); now the --plot path"),
    Cli("eval {runs}/classify --data {data}/classify.tsv --plot {tmp}", "plot: expected a "
        "file path, not a folder, got '{tmp}'",
        fixed="an IsADirectoryError naming elman's temporary file"),
    Cli("eval {runs}/classify --data {data}/classify.tsv --ensemble", "ensemble: expected at "
        "least one value after --ensemble, got none",
        fixed="argparse's message, not in the form: 'eval RUN: argument --ensemble: expected at"
              " least one argument'"),
    Cli("eval {runs}/classify --data {data}/classify.tsv --ensemble {bad}/missing",
        "checkpoint: expected a run folder or a checkpoint folder, got '{bad}/missing'"),
    Cli("eval {runs}/classify --data {data}/classify.tsv --ensemble {runs}/lm", "ensemble: "
        "expected runs with the first run's task, labels, vocabulary and lowercase, vectors, "
        "tag_field, got 'tests/fixtures/v0/runs/lm', which differs"),
    Cli("eval {runs}/classify --split test", "split: expected valid (the classify task keeps "
        "no test split; score a held-out file with --data PATH), got 'test'"),
    Cli("eval {runs}/digits --data {data}/wavs --plot {tmp}/missing/c.png", "plot: expected a "
        "file in an existing folder, got '{tmp}/missing/c.png'",
        fixed="the error named elman's temporary file (.NAME.XXXX.tmp), not the path given"),
    Cli("eval {runs}/sort --seed -1", "seed: expected an integer >= 0, got -1"),
    Cli("eval {runs}/sort --seed 3 --data {bad}/sort-long.txt", "seed: expected no --seed "
        "with --data (the file's inputs are scored), got 3"),
    Cli("eval {runs}/sort --seed 3 --split test", "seed: expected no --seed with --split "
        "(--seed N scores a set of its own), got 3"),
    Cli("eval {runs}/sort --beam 0", "beam: expected an integer >= 1, got 0"),
    Cli("eval {runs}/sort --length-penalty -1", "length_penalty: expected a number >= 0, got "
        "-1.0"),
    Cli("eval {runs}/translate --beam x", "beam: expected an integer, got 'x'"),
    Cli("eval {runs}/digit-sequences --beam 0", "beam: expected an integer >= 1, got 0"),
    Cli("eval {runs}/forecast --split test", "split: expected valid (the run keeps no test "
        "split: it was trained with test_fraction 0; score a held-out file with --data "
        "PATH), got 'test'"),
    Cli("eval {runs}/music --split test", "split: expected valid (the music task keeps no "
        "test split; score a held-out file with --data PATH), got 'test'"),
    # generate
    Cli("generate {runs}/lm --temperature 0", "temperature: expected a number > 0, got 0.0"),
    Cli("generate {runs}/lm --temperature hot", "temperature: expected a number, got 'hot'"),
    Cli("generate {runs}/lm --temperature inf", "temperature: expected a finite number, got "
        "inf"),
    Cli("generate {runs}/lm --temperature 1e-45 --length 20 --seed 1", OK,
        fixed="logits / 1e-45 overflowed to inf and torch.multinomial raised on NaN "
        "probabilities; the sampler now divides the logits after subtracting their maximum"),
    Sub("generate {runs}/lm --temperature 1e-45 --length 20 --seed 1", OK),
    Cli("generate {runs}/lm --top-k 0", "top_k: expected an integer >= 1, got 0"),
    Cli("generate {runs}/lm --top-k many", "top_k: expected an integer, got 'many'"),
    Cli("generate {runs}/lm --length -5", "length: expected an integer >= 0, got -5"),
    Cli("generate {runs}/lm --length 1e3", "length: expected an integer, got '1e3'"),
    Cli("generate {runs}/lm --seed -2", "seed: expected an integer >= 0, got -2"),
    Cli("generate {runs}/lm --out song.mid", "arguments: expected options listed by --help, "
        "got unrecognized --out song.mid"),
    Cli("generate {runs}/classify", "run: expected a run of a task with the generate command "
        "(lm, music), got a classify run (its commands: eval, predict, export)"),
    Cli("generate {runs}/music", "out: expected a MIDI file to write, ending in .mid "
        "(--out song.mid), got None"),
    Cli("generate {runs}/music --out {tmp}/song.wav", "out: expected a MIDI file to write, "
        "ending in .mid (--out song.mid), got '{tmp}/song.wav'"),
    Cli("generate {runs}/music --out {tmp}/missing/song.mid", "out: expected a file in an "
        "existing folder, got '{tmp}/missing/song.mid'",
        fixed="the error named elman's temporary file (.song.mid.XXXX.tmp); now the --out "
        "path, checked before sampling"),
    Cli("generate {runs}/music --out {tmp}/song.mid --length 0", "length: expected an integer "
        ">= 1, got 0"),
    Cli("generate {runs}/music --out {tmp}/song.mid --tempo 0", "tempo: expected a number > 0, "
        "got 0.0"),
    Cli("generate {runs}/music --out {tmp}/song.mid --temperature -1", "temperature: expected "
        "a number > 0, got -1.0"),
    Cli("generate {runs}/music --out {tmp}/song.mid --seed x", "seed: expected an integer, got "
        "'x'"),
    # next
    Cli("next {runs}/lm 'the cat'", "run: expected a word language model (train --task lm "
        "--level word), got a lm run at char level"),
    Cli("next {runs}/lm-word ''", "prompt: expected at least one word, got ''"),
    Cli("next {runs}/lm-word 'the' -k 0", "k: expected an integer >= 1, got 0"),
    Cli("next {runs}/lm-word 'the' -k x", "k: expected an integer, got 'x'"),
    Cli("next {runs}/lm-word", "prompt: expected a value (elman next RUN prompt), got none",
        fixed="argparse's message, not in the form: 'next RUN: the following arguments are "
              "required: prompt'"),
    Cli("next {runs}/sort '5 3'", "run: expected a run of a task with the next command (lm), "
        "got a sort run (its commands: eval, predict, export)"),
    # predict
    Cli("predict {runs}/classify", "input: expected --input FILE (or - for stdin) for a "
        "classify run, got none"),
    Cli("predict {runs}/classify --input {bad}/missing.tsv", "input: expected an existing "
        "file, got '{bad}/missing.tsv'"),
    Cli("predict {runs}/classify --input {data}/classify.tsv --output {tmp}/missing/out.tsv",
        "output: expected a file in an existing folder, got '{tmp}/missing/out.tsv'",
        fixed="the error named elman's temporary file (.out.tsv.XXXX.tmp); now the --output "
        "path, checked before predicting"),
    Cli("predict {runs}/classify --input {data}/classify.tsv --output {tmp}", "output: "
        "expected a file path, not a folder, got '{tmp}'",
        fixed="an IsADirectoryError naming elman's temporary file"),
    Cli("predict {runs}/classify --input - ", "input: expected some text on stdin, got "
        "nothing", stdin=b""),
    Cli("predict {runs}/classify --input -", "input: expected UTF-8 text on stdin, got byte "
        "0xe9 at offset 3 that is not UTF-8", stdin="café\n".encode("latin-1")),
    Cli("predict {runs}/classify --input {data}/classify.tsv --ensemble {runs}/tag",
        "ensemble: expected runs with the first run's task"),
    Cli("predict {runs}/sort", "input: expected either a text argument or --input FILE, got "
        "neither"),
    Cli("predict {runs}/sort '5 3' --input {bad}/sort-bad.txt", "input: expected either a text "
        "argument or --input FILE, got both"),
    Cli("predict {runs}/sort '5 x 1'", "input: expected integers in 0..9 separated by spaces, "
        "got 'x' at <text>:1"),
    Cli("predict {runs}/sort '12 3'", "input: expected integers in 0..9 separated by spaces, "
        "got '12' at <text>:1"),
    Cli("predict {runs}/sort '  '", "input: expected a non-empty sort input, got an empty one "
        "at <text>:1"),
    Cli("predict {runs}/sort '1 2 3 4 5'", "input: expected at most 4 integers (the longest "
        "the model was trained on), got 5 at <text>:1"),
    Cli("predict {runs}/sort '5 3' --beam 0", "beam: expected an integer >= 1, got 0"),
    Cli("predict {runs}/sort '5 3' --length-penalty x", "length_penalty: expected a number, "
        "got 'x'"),
    Cli("predict {runs}/sort '5 3' --output {tmp}/missing/out.txt", "output: expected a file "
        "in an existing folder, got '{tmp}/missing/out.txt'",
        fixed="the error named elman's temporary file (.NAME.XXXX.tmp), not the path given"),
    Cli("predict {runs}/add '12 - 7'", "input: expected two numbers joined by '+', such as "
        "12 + 345, got '12 - 7' at <text>:1"),
    Cli("predict {runs}/add '123 + 4'", "input: expected numbers of at most 2 digits (the "
        "longest the model was trained on), got '123 + 4' at <text>:1"),
    Cli("predict {runs}/lm 'x'", "run: expected a run of a task with the predict command"),
    # translate
    Cli("translate {runs}/translate ''", "text: expected a sentence to translate, got an empty "
        "one at <text>:1"),
    Cli("translate {runs}/translate", "input: expected either a text argument or --input FILE, "
        "got neither"),
    Cli("translate {runs}/translate ' '", "text: expected a sentence to translate, got an "
        "empty one at <text>:1"),
    Cli("translate {runs}/translate --input {bad}/long-sentence.txt", "text: expected at most"),
    Cli("translate {runs}/translate 'I am cold.' --beam 0", "beam: expected an integer >= 1, "
        "got 0"),
    Cli("translate {runs}/translate 'I am cold.' --input {bad}/long-sentence.txt", "input: "
        "expected either a text argument or --input FILE, got both"),
    Cli("translate {runs}/translate 'I am cold.' --attention-plot {tmp}/missing/a.png",
        "attention_plot: expected a file in an existing folder, got '{tmp}/missing/a.png'",
        fixed="the error named elman's temporary file (.NAME.XXXX.tmp), not the path given"),
    Cli("translate {runs}/translate 'I am cold.' --output {tmp}/missing/out.txt", "output: "
        "expected a file in an existing folder, got '{tmp}/missing/out.txt'",
        fixed="the error named elman's temporary file (.NAME.XXXX.tmp), not the path given"),
    Cli("translate {runs}/sort '5 3'", "run: expected a run of a task with the translate "
        "command (translate), got a sort run"),
    # transcribe
    Cli("transcribe {runs}/digits {bad}/missing.wav", "wav: expected an existing WAV file, "
        "got '{bad}/missing.wav'"),
    Cli("transcribe {runs}/digits", "FILE.wav: expected a value (elman transcribe RUN "
        "FILE.wav), got none",
        fixed="argparse's message, not in the form: 'transcribe RUN: the following arguments "
              "are required: FILE.wav'"),
    Cli("transcribe {runs}/digits {data}/wavs/3_bob_1.wav --beam 0", "beam: expected an "
        "integer >= 1, got 0"),
    Cli("transcribe {runs}/digit-sequences {data}/wavs/3_bob_1.wav --beam x", "beam: expected "
        "an integer, got 'x'"),
    # forecast
    Cli("forecast {runs}/forecast", "steps: expected a value (--steps is required), got none",
        fixed="argparse's message, not in the form: 'forecast RUN: the following arguments are "
              "required: --steps'"),
    Cli("forecast {runs}/forecast --steps 0", "steps: expected an integer >= 1, got 0"),
    Cli("forecast {runs}/forecast --steps x", "steps: expected an integer, got 'x'"),
    Cli("forecast {runs}/forecast --steps 3 --origin middle", "origin: expected one of "
        "['valid', 'end'], got 'middle'"),
    Cli("forecast {runs}/forecast --steps 3 --plot {tmp}/missing/f.png", "plot: expected a "
        "file in an existing folder, got '{tmp}/missing/f.png'",
        fixed="the error named elman's temporary file (.NAME.XXXX.tmp), not the path given"),
    # export
    Cli("export {runs}/lm --format tflite", "format: expected one of ['onnx', 'numpy'], got "
        "'tflite'"),
    Cli("export {runs}/lm --out {data}", "out: expected a new folder, an empty one or an "
        "earlier export (it is replaced whole), got 'tests/fixtures/v0/data', which holds "
        "other files", fixed="export replaced the whole folder, whatever it held: --out "
        "tests/fixtures/v0/data deleted the data; now refused"),
    Cli("export {runs}/lm --out {data}/tiny.txt", "out: expected a folder to write the export "
        "in, got 'tests/fixtures/v0/data/tiny.txt', which is a file",
        fixed='accepted: the export replaced the file with a folder'),
    Cli("export {runs}/classify --format numpy --out {runs}/classify/best", "out: expected a "
        "new folder, an empty one or an earlier export",
        fixed="accepted: the export replaced the run's best/ checkpoint"),
    # summary
    Cli("summary", "summary: expected a RUN folder, or --input-size and --hidden-sizes, got "
        "neither"),
    Cli("summary --input-size 3", "summary: expected a RUN folder, or --input-size and "
        "--hidden-sizes, got neither"),
    Cli("summary --input-size 0 --hidden-sizes 4", "input_size: expected an integer >= 1, "
        "got 0"),
    Cli("summary --input-size 3 --hidden-sizes 4,0", "hidden_sizes: expected positive layer "
        "widths such as 256 or 256,256, got [4, 0]"),
    Cli("summary --input-size 3 --hidden-sizes 1000000000", f"hidden_sizes: expected {SIZE}",
        fixed="torch's allocator failed with a RuntimeError (a traceback); now refused before "
        "allocating"),
    Sub("summary --input-size 3 --hidden-sizes 1000000000", f"hidden_sizes: expected {SIZE}"),
    Cli("summary --input-size 1000000000 --hidden-sizes 1000", "input_size: expected an input "
        "size whose weights fit in this machine's memory",
        fixed="torch's allocator raised a RuntimeError (a traceback); now refused before "
              "allocating"),
    Cli("summary --input-size 3 --hidden-sizes 4 --output-size 0", "output_size: expected an "
        "integer >= 1, got 0"),
    Cli("summary --input-size 3 --hidden-sizes 4 --cell rnn", "cell: expected one of"),
    Cli("summary --input-size 3 --hidden-sizes 4 --batch-size 0", "batch_size: expected an "
        "integer >= 1, got 0"),
    Cli("summary --input-size 3 --hidden-sizes 4 --seq-len -1", "seq_len: expected an integer "
        ">= 1, got -1"),
    Cli("summary {bad}/missing", "checkpoint: expected a run folder or a checkpoint folder, "
        "got '{bad}/missing'"),
    # diagnose
    Cli("diagnose", "RUN: expected a run folder (elman diagnose RUN), got none"),
    Cli("diagnose {bad}/missing", "checkpoint: expected a run folder or a checkpoint folder, "
        "got '{bad}/missing'"),
    Cli("diagnose {runs}/lm --loss first", "loss: expected one of ['end', 'all'], got "
        "'first'"),
    Cli("diagnose {runs}/lm --jacobians -1", "jacobians: expected an integer >= 0, got -1"),
    Cli("diagnose {runs}/lm --plot {tmp}/missing/d.png", "plot: expected a file in an "
        "existing folder, got '{tmp}/missing/d.png'"),
    Cli("diagnose {runs}/lm --report {tmp}", "report: expected a file path, not a folder, "
        "got '{tmp}'"),
    Cli("diagnose {runs}/lm --data {bad}/missing.txt", "data: expected an existing file"),
    Cli("diagnose {runs}/classify --data {bad}/header-only.tsv --plot {tmp}/d.png",
        "data: expected rows after the header"),
    # serve (flags checked before serving)
    Cli("serve {runs}/lm --port 0", "port: expected an integer >= 1, got 0"),
    Cli("serve {runs}/lm --port 70000", "port: expected an integer from 1 to 65535, got 70000",
        fixed='accepted: the server started and failed to bind (an OverflowError traceback)'),
    Cli("serve {runs}/lm --max-batch 0", "max_batch: expected an integer >= 1, got 0"),
    Cli("serve {runs}/lm --request-seconds -1", "request_seconds: expected a number > 0, got "
        "-1.0"),
    Cli("serve {runs}/lm --threads 0", "threads: expected an integer >= 1, got 0"),
    Cli("serve {runs}/lm {runs}/lm", "runs: expected run folders of different names (the "
        "names are the URLs), got 'lm' twice"),
    Cli("serve {bad}/missing", "checkpoint: expected a run folder or a checkpoint folder, got "
        "'{bad}/missing'"),
    Cli("serve", "RUN: expected a value (elman serve RUN), got none",
        fixed="argparse's message, not in the form: 'serve: the following arguments are "
              "required: RUN'"),
    # the reply task's settings and command
    Cli("train --task reply --space-dim 0", "space_dim: expected an integer >= 1, got 0"),
    Cli("train --task reply --pooling top", "pooling: expected one of ['last', 'max', 'mean'], "
        "got 'top'"),
    Cli("train --task reply --diversity 2", "diversity: expected a number in [0, 1], got 2.0"),
    Cli("train --task reply --suggestions 0", "suggestions: expected an integer >= 1, got 0"),
    Cli("train --task reply --generator maybe", "generator: expected true or false, got "
        "'maybe'"),
    Cli("train --task reply --generator true --generator-attention dot", "generator_attention: "
        "expected one of ['none', 'additive', 'multiplicative', 'scaled'], got 'dot'"),
    Cli("train --task reply --generator-attention additive", "generator_attention: expected "
        "--generator true with --generator-attention (it sets the generator), got 'additive'"),
    Cli("train --task reply --generator-max-words 30", "generator_max_words: expected "
        "--generator true with --generator-max-words (it sets the generator), got 30"),
    Cli("reply {runs}/translate 'Are you coming tonight?'", "run: expected a run of a task "
        "with the reply command (reply), got a translate run"),
]
