namespace RepLab.Torch;

public static partial class optim
{
    /// <summary>PyTorch's <c>torch.optim.lr_scheduler</c>: schedules that set each group's lr in closed form from its initial lr and the epoch.</summary>
    public static partial class lr_scheduler
    {
        /// <summary>
        /// Sets every group's lr from its initial lr and the epoch count, in closed form, so a
        /// resumed run lands on exactly the same lr. Call <see cref="step"/> once per epoch (or per
        /// iteration, if the schedule is counted in iterations).
        /// </summary>
        public abstract class LRScheduler
        {
            /// <summary>Binds the schedule to <paramref name="optimizer"/> and sets the lr of epoch 0 at once (as PyTorch's constructor does).</summary>
            protected LRScheduler(Optimizer optimizer)
            {
                this.optimizer = optimizer;
                Apply();
            }

            /// <summary>The optimizer whose groups this schedule sets.</summary>
            public Optimizer optimizer { get; }

            /// <summary><c>last_epoch</c>: the epoch the current lr belongs to (0 after construction).</summary>
            public long last_epoch { get; private set; }

            /// <summary>The lr at <paramref name="epoch"/> for a group that started at <paramref name="initialLr"/> (despite the name, the lr itself, not a multiplier).</summary>
            protected abstract double Factor(double initialLr, long epoch);

            /// <summary><c>scheduler.step()</c>: advances one epoch and sets every group's lr. No <c>epoch</c> argument: see <see cref="set_epoch"/>.</summary>
            public void step()
            {
                last_epoch++;
                Apply();
            }

            /// <summary>Moves the schedule to <paramref name="epoch"/> (for resuming).</summary>
            public void set_epoch(long epoch)
            {
                last_epoch = epoch;
                Apply();
            }

            /// <summary><c>get_last_lr()</c>: the current lr of each group.</summary>
            public double[] get_last_lr() => optimizer.param_groups.Select(g => g.lr).ToArray();

            private void Apply()
            {
                foreach (var g in optimizer.param_groups) g.lr = Factor(g.initial_lr, last_epoch);
            }
        }

        /// <summary>Multiplies the lr by <c>gamma</c> every <c>step_size</c> epochs.</summary>
        public sealed class StepLR(Optimizer optimizer, long step_size, double gamma = 0.1) : LRScheduler(optimizer)
        {
            /// <summary><c>lr · gamma^⌊epoch / step_size⌋</c>.</summary>
            protected override double Factor(double lr, long epoch) => lr * Math.Pow(gamma, epoch / step_size);
        }

        /// <summary>Cosine annealing from the initial lr to <c>eta_min</c> over <c>T_max</c> epochs (Loshchilov &amp; Hutter, 2017, without restarts).</summary>
        public sealed class CosineAnnealingLR(Optimizer optimizer, long T_max, double eta_min = 0) : LRScheduler(optimizer)
        {
            /// <summary><c>eta_min + (lr - eta_min)·(1 + cos(π·epoch/T_max))/2</c>.</summary>
            protected override double Factor(double lr, long epoch) =>
                eta_min + (lr - eta_min) * (1 + Math.Cos(Math.PI * epoch / T_max)) / 2;
        }

        /// <summary>
        /// Linear warm-up from <c>start_factor</c> times the lr over <c>warmup</c> epochs, then cosine
        /// annealing to <c>eta_min</c> at <c>total</c> epochs: the schedule of SimCLR, BYOL and MoCo v3.
        /// </summary>
        public sealed class WarmupCosineLR(Optimizer optimizer, long warmup, long total, double start_factor = 1e-3, double eta_min = 0)
            : LRScheduler(optimizer)
        {
            /// <summary>Linear from <c>start_factor·lr</c> to <c>lr</c> over the warm-up, then cosine down to <c>eta_min</c> at <c>total</c>, constant after.</summary>
            protected override double Factor(double lr, long epoch)
            {
                if (epoch < warmup) return lr * (start_factor + (1 - start_factor) * epoch / warmup);
                var t = Math.Min(epoch - warmup, total - warmup);
                return eta_min + (lr - eta_min) * (1 + Math.Cos(Math.PI * t / Math.Max(total - warmup, 1))) / 2;
            }
        }
    }
}
