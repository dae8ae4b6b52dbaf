//! The optimiser side of training, written out rather than taken from
//! burn-optim so that its state is ours: Adam moments kept in the module's
//! visit order (checkpointed by position, not by burn's per-process
//! parameter ids), clipping by the global gradient norm (burn clips each
//! tensor on its own), and an exponential moving average of the weights.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::Tensor;

use super::Net;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamOptions {
    pub beta_1: f64,
    pub beta_2: f64,
    pub epsilon: f64,
}

impl Default for AdamOptions {
    /// EDM's training settings (torch.optim.Adam with eps 1e-8).
    fn default() -> Self {
        AdamOptions {
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-8,
        }
    }
}

/// Adam's state: the step count and, per parameter in visit order, the
/// flattened first and second moments (on the inner, non-autodiff device).
pub struct Adam {
    pub options: AdamOptions,
    pub t: u64,
    pub moments: Vec<(Tensor<1>, Tensor<1>)>,
}

impl Adam {
    pub fn new(options: AdamOptions) -> Self {
        Adam {
            options,
            t: 0,
            moments: Vec::new(),
        }
    }

    /// One update of `net` (any module: the denoising networks, the
    /// quality classifier) with its gradients multiplied by `scale` (the
    /// clipping factor) at learning rate `lr`.
    pub fn step<M: Module>(
        &mut self,
        net: M,
        grads: &mut GradientsParams,
        lr: f64,
        scale: f64,
    ) -> M {
        self.t += 1;
        let mut mapper = AdamStep {
            adam: self,
            grads,
            lr,
            scale,
            index: 0,
        };
        net.map(&mut mapper)
    }
}

struct AdamStep<'a> {
    adam: &'a mut Adam,
    grads: &'a mut GradientsParams,
    lr: f64,
    scale: f64,
    index: usize,
}

impl ModuleMapper for AdamStep<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let i = self.index;
        self.index += 1;
        let Some(grad) = self.grads.remove::<D>(id) else {
            return Param::from_mapped_value(id, tensor, mapper);
        };
        let shape = tensor.shape();
        let n = shape.num_elements();
        let g = grad.reshape([n]).mul_scalar(self.scale);
        let o = self.adam.options;
        if self.adam.moments.len() <= i {
            let zeros = Tensor::<1>::zeros([n], &g.device());
            self.adam.moments.push((zeros.clone(), zeros));
        }
        let (m, v) = self.adam.moments[i].clone();
        let m = m.mul_scalar(o.beta_1) + g.clone().mul_scalar(1.0 - o.beta_1);
        let v = v.mul_scalar(o.beta_2) + g.square().mul_scalar(1.0 - o.beta_2);
        let t = self.adam.t as i32;
        let m_hat = m.clone().div_scalar(1.0 - o.beta_1.powi(t));
        let v_hat = v.clone().div_scalar(1.0 - o.beta_2.powi(t));
        let update = m_hat / (v_hat.sqrt().add_scalar(o.epsilon));
        self.adam.moments[i] = (m, v);
        let updated = tensor.inner() - update.reshape(shape).mul_scalar(self.lr);
        Param::from_mapped_value(id, Tensor::from_inner(updated).require_grad(), mapper)
    }
}

/// The global L2 norm of all gradients of `net`.
pub fn grad_norm(net: &Net, grads: &GradientsParams) -> f64 {
    struct Norm<'a> {
        grads: &'a GradientsParams,
        parts: Vec<Tensor<1>>,
    }
    impl ModuleVisitor for Norm<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(g) = self.grads.get::<D>(param.id) {
                self.parts.push(g.square().sum());
            }
        }
    }
    let mut v = Norm {
        grads,
        parts: Vec::new(),
    };
    net.visit(&mut v);
    if v.parts.is_empty() {
        return 0.0;
    }
    let sum: f32 = Tensor::cat(v.parts, 0).sum().into_scalar();
    (sum as f64).sqrt()
}

/// Every float parameter of a module, flattened, detached, in visit order.
pub fn flat_params<M: Module>(module: &M) -> Vec<Tensor<1>> {
    struct Flat(Vec<Tensor<1>>);
    impl ModuleVisitor for Flat {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let t = param.val().inner();
            let n = t.shape().num_elements();
            self.0.push(t.reshape([n]));
        }
    }
    let mut f = Flat(Vec::new());
    module.visit(&mut f);
    f.0
}

/// ema ← decay · ema + (1 − decay) · net, parameter by parameter.
pub fn ema_update(ema: Net, net: &Net, decay: f64) -> Net {
    struct Ema {
        current: std::vec::IntoIter<Tensor<1>>,
        decay: f64,
    }
    impl ModuleMapper for Ema {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let (id, tensor, mapper) = param.consume();
            let cur = self.current.next().expect("EMA and network share a layout");
            let shape = tensor.shape();
            let blended =
                tensor.mul_scalar(self.decay) + cur.reshape(shape).mul_scalar(1.0 - self.decay);
            Param::from_mapped_value(id, blended, mapper)
        }
    }
    ema.map(&mut Ema {
        current: flat_params(net).into_iter(),
        decay,
    })
}
