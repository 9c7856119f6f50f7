"""``elman train``: train a model of any task, then print how it went."""

from .common import stream


def cmd_train(args) -> int:
    from ..tasks.lm import generate
    from ..training import config
    from ..training.trainer import resume_config, train
    values = {k: v for k, v in vars(args).items()
              if k not in ("command", "func", "config", "resume")}
    if args.resume:
        if args.config:
            file = config.load_file(args.config)
            values = {**file["model"], **file["train"], **values}
        model_cfg, train_cfg = resume_config(args.resume, values)
    else:
        model_cfg, train_cfg = config.resolve(args.config, values)
    result = train(model_cfg, train_cfg, resume=args.resume)
    print(f"stopped: {result.stopped} at step {result.step:,} after "
          f"{result.elapsed / 60:.1f} min, {result.tokens_per_s:,.0f} tokens/s")
    if train_cfg.task != "lm":
        if result.valid:
            print(f"{result.task.report(result.valid)}, best step {result.best_step:,}")
        print(f"run folder: {result.run}")
        return 0
    if train_cfg.sample_length:
        print(f"sample (best model, step {result.best_step:,}, temperature "
              f"{train_cfg.temperature:g}):")
        stream(generate(result.model, result.task.vocab, "", train_cfg.sample_length,
                        train_cfg.temperature, train_cfg.top_k, train_cfg.seed))
    if result.valid:
        v = result.valid
        print(f"valid bits per {train_cfg.level}: {v['bpc']:.3f} (loss {v['loss']:.4f} "
              f"nats/{train_cfg.level}, perplexity {v['perplexity']:.2f}, best step {result.best_step:,})")
    print(f"run folder: {result.run}")
    return 0

