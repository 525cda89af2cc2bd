//! The one place inference picks its device: CUDA when built with the `cuda` feature
//! and a GPU answers, otherwise the CPU, with a warning said once.

use std::sync::OnceLock;

use candle_core::Device;

/// The device every model of this process runs on.
pub fn select() -> Device {
    static DEVICE: OnceLock<Device> = OnceLock::new();
    DEVICE
        .get_or_init(|| {
            #[cfg(feature = "cuda")]
            match Device::new_cuda(0) {
                Ok(device) => {
                    tracing::info!("inference on CUDA device 0");
                    return device;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "no usable GPU: inference runs on the CPU")
                }
            }
            #[cfg(not(feature = "cuda"))]
            tracing::warn!("built without the `cuda` feature: inference runs on the CPU");
            Device::Cpu
        })
        .clone()
}
